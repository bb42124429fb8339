// Library throughput: keys parsed and fingerprinted per second, per key type (Google Benchmark).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sshkey/fingerprint.h"
#include "sshkey/generate.h"
#include "sshkey/parse.h"

namespace {

using namespace gangplank::sshkey;

std::string LineFor(KeyKind kind, int bits) {
  auto pair = GenerateKeyPair({kind, bits, "bench@gangplank"});
  return pair.ok() ? pair->public_key.ToPublicKeyLine() : std::string();
}

void ParseAndFingerprint(benchmark::State& state, KeyKind kind, int bits) {
  const std::string line = LineFor(kind, bits);
  for (auto _ : state) {
    auto key = ParseAuthorizedKeysLine(line);
    benchmark::DoNotOptimize(FingerprintLine(*key));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(ParseAndFingerprint, rsa3072, KeyKind::kRsa, 3072);
BENCHMARK_CAPTURE(ParseAndFingerprint, ed25519, KeyKind::kEd25519, 0);
BENCHMARK_CAPTURE(ParseAndFingerprint, ecdsa256, KeyKind::kEcdsa, 256);
BENCHMARK_CAPTURE(ParseAndFingerprint, ecdsa521, KeyKind::kEcdsa, 521);

void ParseWholeFile(benchmark::State& state) {
  std::string text;
  const std::vector<std::string> lines = {
      LineFor(KeyKind::kRsa, 3072), LineFor(KeyKind::kEd25519, 0), LineFor(KeyKind::kEcdsa, 256)};
  for (int i = 0; i < 10000; ++i) text += lines[static_cast<std::size_t>(i) % lines.size()] + "\n";
  for (auto _ : state) {
    auto entries = ParsePublicKeys(text);
    std::string out;
    for (const auto& entry : *entries) out += FingerprintLine(*entry.key) + "\n";
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(ParseWholeFile)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
