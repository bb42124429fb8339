// Commands that get their options when reached: by the walk before parsing, or by CLI11 itself.
#include "cli/lazy_command.h"

#include <gtest/gtest.h>

#include <string>

namespace gangplank::cli {
namespace {

class LazyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_.fallthrough();
    aks_ = app_.add_subcommand("aks", "Clusters.");
    aks_->require_subcommand(1);
    show_ = AddCommand(aks_, "show", "Show a cluster.", [this](CLI::App* show) {
      ++populated_show_;
      show->add_option("-n,--name", name_)->required();
      show->callback([this] { ran_ = "show " + name_; });
    });
    AddCommand(aks_, "delete", "Delete a cluster.", [this](CLI::App* remove) {
      ++populated_delete_;
      remove->add_option("-n,--name", name_)->required();
      remove->callback([this] { ran_ = "delete " + name_; });
    });
  }

  CLI::App app_{"test", "gangplank"};
  CLI::App* aks_ = nullptr;
  CLI::App* show_ = nullptr;
  std::string name_, ran_;
  int populated_show_ = 0, populated_delete_ = 0;
};

TEST_F(LazyCommandTest, ACommandHasItsNameAndDescriptionButNoOptionsUntilReached) {
  EXPECT_EQ(populated_show_, 0);
  EXPECT_EQ(show_->get_description(), "Show a cluster.");
  EXPECT_EQ(show_->get_option_no_throw("--name"), nullptr);
  EXPECT_NE(show_->get_help_ptr(), nullptr);  // inherited from its parent, as add_subcommand does
  const std::string help = aks_->help();
  EXPECT_NE(help.find("show"), std::string::npos);
  EXPECT_NE(help.find("Delete a cluster."), std::string::npos);
  EXPECT_EQ(populated_show_ + populated_delete_, 0);  // a listing reaches nothing
}

TEST_F(LazyCommandTest, ReachingACommandPopulatesItOnceAndNoOther) {
  ReachCommand(*show_);
  ReachCommand(*show_);
  EXPECT_EQ(populated_show_, 1);
  EXPECT_EQ(populated_delete_, 0);
  EXPECT_NE(show_->get_option_no_throw("--name"), nullptr);
  ReachCommand(*aks_);  // not lazy: nothing to do
  app_.parse(std::vector<std::string>{"c1", "-n", "show", "aks"});  // CLI11 takes them reversed
  EXPECT_EQ(ran_, "show c1");
  EXPECT_EQ(populated_show_, 1);
  EXPECT_EQ(populated_delete_, 0);
}

TEST_F(LazyCommandTest, ACommandCli11EntersWithoutTheWalkIsPopulatedBeforeItsArgumentsAreParsed) {
  app_.parse(std::vector<std::string>{"c2", "--name", "delete", "aks"});
  EXPECT_EQ(ran_, "delete c2");
  EXPECT_EQ(populated_delete_, 1);
  EXPECT_EQ(populated_show_, 0);
}

TEST_F(LazyCommandTest, AReachedCommandStillRefusesWhatItDoesNotKnow) {
  EXPECT_THROW(app_.parse(std::vector<std::string>{"--bogus", "show", "aks"}), CLI::ParseError);
  EXPECT_THROW(app_.parse(std::vector<std::string>{"show", "aks"}), CLI::RequiredError);
}

}  // namespace
}  // namespace gangplank::cli
