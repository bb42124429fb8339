// Node images: root file systems made from Debian packages (debootstrap: a minimal Debian with
// OpenSSH's server and the node agent), one per image version, kept in the data dir. The
// debootstrap result is cached once per machine; an image version is a copy of it (hard links)
// with this build's agent and the version stamped in /etc/gangplank-node-image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"

namespace gangplank::runtime {

struct NodeImageBuilderOptions {
  std::filesystem::path images_dir;  // DATA_DIR/node-images: one directory per version
  std::filesystem::path cache_dir = "/var/cache/gangplank/node-image-base";
  std::string agent_path;            // the gangplank-node binary copied into every image
  // The binary whose shared libraries' packages the image gets (the real gangplank-node, even
  // when agent_path is a stand-in): it decides the cached base, so stand-ins share it.
  std::string library_source;
  std::string mirror;                // empty: the host's Debian mirror (apt sources), else deb.debian.org
};

// Where the agent lives inside an image.
inline constexpr const char* kImageAgentPath = "/usr/lib/gangplank/gangplank-node";

class NodeImageBuilder {
 public:
  explicit NodeImageBuilder(NodeImageBuilderOptions options);

  // The root file system of `version`, built first when the data dir lacks it (the first build
  // on a machine runs debootstrap, about half a minute with a near mirror; later ones copy the
  // cache in about a second). Safe to call from several processes at once (file locks).
  Result<std::filesystem::path> Ensure(const std::string& version);
  // The versions the data dir holds, sorted.
  std::vector<std::string> Built() const;
  // The debootstrap command line the cache is made with (for messages and docs).
  std::vector<std::string> DebootstrapCommand(const std::filesystem::path& target) const;

  // A version names a directory: letters, digits, '.', '_' and '-', at most 100 characters.
  static bool IsValidVersion(const std::string& version);

 private:
  Result<std::filesystem::path> EnsureBase();
  std::vector<std::string> Packages() const;

  NodeImageBuilderOptions options_;
};

}  // namespace gangplank::runtime
