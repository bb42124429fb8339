// The randomness seam: identifiers the control plane makes (uids, principal ids), from OpenSSL in
// production and from a counter in tests (test/mocks/counting_random.h).
#pragma once

#include <string>

#include "common/random.h"

namespace gangplank {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A new version 4 UUID in lowercase 8-4-4-4-12 form.
  virtual std::string Uuid() = 0;
};

class SecureRandom final : public RandomSource {
 public:
  std::string Uuid() override { return NewUuid(); }
};

}  // namespace gangplank
