// Writes a realistic authorized_keys file for benchmarks: N lines over every key type, with
// comments and options, from a pool of distinct generated keys.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sshkey/generate.h"

using namespace gangplank::sshkey;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s LINES OUTPUT_FILE\n", argv[0]);
    return 2;
  }
  const int lines = std::atoi(argv[1]);
  // Distinct keys per type; RSA is slow to generate, so its pool is smaller and lines reuse it.
  // `weight` is the type's share of lines in 10,000: 40% ed25519, 20% ECDSA, 40% RSA.
  struct Pool {
    GenerateOptions options;
    int size;
    int weight;
  };
  const std::vector<Pool> pools = {
      {{KeyKind::kEd25519, 0, ""}, 2000, 4000}, {{KeyKind::kEcdsa, 256, ""}, 600, 1200},
      {{KeyKind::kEcdsa, 384, ""}, 200, 400},   {{KeyKind::kEcdsa, 521, ""}, 200, 400},
      {{KeyKind::kRsa, 2048, ""}, 40, 1500},    {{KeyKind::kRsa, 3072, ""}, 40, 2000},
      {{KeyKind::kRsa, 4096, ""}, 10, 500},
  };
  std::vector<std::vector<std::string>> keys;
  for (const Pool& pool : pools) {
    auto& generated = keys.emplace_back();
    for (int i = 0; i < pool.size; ++i) {
      auto pair = GenerateKeyPair(pool.options);
      if (!pair.ok()) {
        std::fprintf(stderr, "%s\n", pair.error().ToString().c_str());
        return 1;
      }
      pair->public_key.comment.clear();
      generated.push_back(pair->public_key.ToPublicKeyLine());
    }
  }
  // Types interleave in proportion to their weights (a fixed permutation of 0..9999 picks the
  // type of each line); a line in eight carries options.
  std::string out;
  std::vector<std::size_t> next(pools.size(), 0);
  for (int line = 0; line < lines; ++line) {
    long ticket = (static_cast<long>(line) * 7919L) % 10000L;
    std::size_t pool = 0;
    while (pool + 1 < pools.size() && ticket >= pools[pool].weight) ticket -= pools[pool++].weight;
    const auto& pool_keys = keys[pool];
    if (line % 8 == 3) out += "no-pty,from=\"10.0.0.0/8\" ";
    out += pool_keys[next[pool]++ % pool_keys.size()];
    out += " user" + std::to_string(line) + "@host" + std::to_string(line % 97) + "\n";
  }
  FILE* file = std::fopen(argv[2], "w");
  if (file == nullptr || std::fwrite(out.data(), 1, out.size(), file) != out.size() ||
      std::fclose(file) != 0) {
    std::perror(argv[2]);
    return 1;
  }
  return 0;
}
