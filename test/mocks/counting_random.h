// A RandomSource whose UUIDs count up (…-000000000001, …-000000000002, …): plans and records made
// with it are the same at every run.
#pragma once

#include <cstdio>
#include <string>

#include "common/random_source.h"

namespace gangplank::testing {

class CountingRandom final : public RandomSource {
 public:
  std::string Uuid() override {
    char text[40];
    std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llu", ++made_);
    return text;
  }
  unsigned long long made() const { return made_; }

 private:
  unsigned long long made_ = 0;
};

}  // namespace gangplank::testing
