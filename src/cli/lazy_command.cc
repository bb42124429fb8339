// A CLI11 command that adds its options when it is reached (see lazy_command.h).
#include "cli/lazy_command.h"

#include <memory>
#include <utility>

namespace gangplank::cli {
namespace {

class LazyCommand final : public CLI::App {
 public:
  // CLI11's constructor for subcommands: inherits the parent's help flag, footer, formatter and
  // option defaults, as add_subcommand(name, description) does.
  LazyCommand(std::string description, std::string name, CLI::App* parent, PopulateCommand populate)
      : CLI::App(std::move(description), std::move(name), parent), populate_(std::move(populate)) {
    // A command line the walk read differently from CLI11 still gets the options it parses.
    preparse_callback([this](std::size_t) { Reach(); });
  }

  void Reach() {
    if (!populate_) return;
    // Moved out first: populate may add subcommands or callbacks, never run twice.
    const PopulateCommand populate = std::exchange(populate_, nullptr);
    populate(this);
  }

 private:
  PopulateCommand populate_;
};

}  // namespace

CLI::App* AddCommand(CLI::App* parent, std::string name, std::string description,
                     PopulateCommand populate) {
  return parent->add_subcommand(std::make_shared<LazyCommand>(
      std::move(description), std::move(name), parent, std::move(populate)));
}

void ReachCommand(CLI::App& command) {
  if (auto* lazy = dynamic_cast<LazyCommand*>(&command)) lazy->Reach();
}

}  // namespace gangplank::cli
