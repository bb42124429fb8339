// libFuzzer target for every public-key parser; also built as a corpus-replay test with GCC.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sshkey/fingerprint.h"
#include "sshkey/parse.h"
#include "sshkey/private_key.h"

using namespace gangplank::sshkey;

namespace {

// A parsed key must survive a round trip through its own text form unchanged.
void CheckRoundTrip(const PublicKey& key) {
  const std::string line = key.ToAuthorizedKeysLine();
  auto again = ParseAuthorizedKeysLine(line);
  if (!again.ok() || !again->SameKey(key) || again->options != key.options ||
      again->bits != key.bits) {
    std::abort();
  }
  if (FingerprintLine(key).empty() || Fingerprint(key, FingerprintHash::kMd5).size() != 4 + 47) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto entries = ParsePublicKeys(text); entries.ok()) {
    for (const auto& entry : *entries) {
      if (entry.key.ok()) CheckRoundTrip(*entry.key);
    }
  }
  if (auto key = ParseKeyBlob(text, ""); key.ok()) CheckRoundTrip(*key);
  if (auto key = PublicKeyFromPrivateKey(text); key.ok()) CheckRoundTrip(*key);
  return 0;
}
