// debootstrap once per machine, a hard-linked copy per image version.
#include "runtime/node_image_builder.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/file_io.h"
#include "common/file_lock.h"
#include "common/process.h"
#include "common/random.h"

namespace gangplank::runtime {
namespace fs = std::filesystem;

namespace {


std::string OsReleaseField(const std::string& name) {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name + "=")) continue;
    std::string value = line.substr(name.size() + 1);
    value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
    return value;
  }
  return "";
}

// The host's own Debian mirror: the first http(s) URI ending in /debian (not debian-security,
// not a third-party repository) of a deb822 source or a one-line "deb URI SUITE main" entry.
std::string HostMirror() {
  std::error_code ec;
  std::vector<fs::path> files = {"/etc/apt/sources.list"};
  for (const auto& entry : fs::directory_iterator("/etc/apt/sources.list.d", ec))
    files.push_back(entry.path());
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string first, uri;
      words >> first >> uri;
      while (uri.ends_with("/")) uri.pop_back();
      if ((first == "URIs:" || first == "deb") && uri.starts_with("http") &&
          uri.ends_with("/debian"))
        return uri;
    }
  }
  return "http://deb.debian.org/debian";
}

Error BuildFailed(const std::string& what, const std::string& detail) {
  std::string tail = detail.size() > 1500 ? detail.substr(detail.size() - 1500) : detail;
  return MakeError(StatusCode::kUnavailable, "NodeImageBuildFailed",
                   "building the node image failed at " + what + (tail.empty() ? "" : ": " + tail));
}

}  // namespace

NodeImageBuilder::NodeImageBuilder(NodeImageBuilderOptions options) : options_(std::move(options)) {
  if (options_.mirror.empty()) options_.mirror = HostMirror();
}

bool NodeImageBuilder::IsValidVersion(const std::string& version) {
  return !version.empty() && version.size() <= 100 && version.front() != '.' &&
         version.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
}

// OpenSSH's server, dumb-init (the node's first process: it runs the agent and reaps what
// sessions leave, and sleeps between signals; tini wakes every second), the packages of the
// agent's shared libraries (asked of dpkg about what ldd resolves), procps, so a login can
// look around, sudo, which AKS's admin user has, and libnss-extrausers, where the accounts of the
// identities that log into EntraId nodes live (useradd takes neither '@' nor 36-character names).
std::vector<std::string> NodeImageBuilder::Packages() const {
  std::set<std::string> packages = {"dumb-init", "libnss-extrausers", "openssh-server", "procps",
                                    "sudo"};
  std::string libraries;
  RunCapturing({"/usr/bin/ldd",
                options_.library_source.empty() ? options_.agent_path : options_.library_source},
               libraries);
  std::istringstream lines(libraries);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t arrow = line.find("=> /");
    if (arrow == std::string::npos) continue;
    std::string library = line.substr(arrow + 3);
    library = library.substr(0, library.find(' '));
    // dpkg knows a file by the path its package ships (/usr/lib/… or /lib/…, merged /usr).
    std::error_code ec;
    for (const std::string& path : {library, fs::canonical(library, ec).string()}) {
      std::string owner;  // "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3"
      if (RunCapturing({"/usr/bin/dpkg-query", "-S", path}, owner) == 0 &&
          owner.find(':') != std::string::npos) {
        packages.insert(owner.substr(0, owner.find(':')));
        break;
      }
    }
  }
  return {packages.begin(), packages.end()};
}

std::vector<std::string> NodeImageBuilder::DebootstrapCommand(const fs::path& target) const {
  std::string include;
  for (const std::string& package : Packages()) include += (include.empty() ? "" : ",") + package;
  const std::string suite = OsReleaseField("VERSION_CODENAME");
  return {"/usr/sbin/debootstrap", "--variant=minbase",
          "--include=" + include,  suite.empty() ? "bookworm" : suite,
          target.string(),         options_.mirror};
}

namespace {

// passwd, group and shadow look in extrausers' files after the image's own.
Status UseExtrausers(const fs::path& nsswitch) {
  auto text = ReadFile(nsswitch, 1 << 20);
  if (!text) return text.error();
  std::istringstream lines(*text);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    for (const char* database : {"passwd:", "group:", "shadow:"}) {
      if (line.starts_with(database) && line.find("extrausers") == std::string::npos)
        line += " extrausers";
    }
    out += line + "\n";
  }
  return WriteFileAtomically(nsswitch, out, 0644, IfExists::kReplace);
}

}  // namespace

Result<fs::path> NodeImageBuilder::EnsureBase() {
  if (::access("/usr/sbin/debootstrap", X_OK) != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "DebootstrapMissing",
                     "node images are built with debootstrap, which is not installed; run "
                     "apt-get install debootstrap (scripts/bootstrap does)");
  }
  if (Status made = EnsureDirectory(options_.cache_dir, 0755); !made.ok()) return made.error();
  const fs::path target_probe = options_.cache_dir / "probe";
  std::vector<std::string> command = DebootstrapCommand(target_probe);
  std::string recipe;
  for (std::size_t i = 0; i < command.size(); ++i)
    if (i != 4) recipe += command[i] + "\n";  // everything but the target
  const fs::path base = options_.cache_dir / Sha256Hex(recipe, 8);
  if (fs::exists(base / "rootfs" / "usr/sbin/sshd")) return base / "rootfs";
  FileLock lock(options_.cache_dir / ".lock");
  if (fs::exists(base / "rootfs" / "usr/sbin/sshd")) return base / "rootfs";  // built meanwhile
  const fs::path building = options_.cache_dir / ("building-" + NewUuid());
  command[4] = building.string();
  const fs::path log = options_.cache_dir / "debootstrap.log";
  if (RunLoggingTo(command, log.string()) != 0) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    auto text = ReadFile(log, 1 << 20);
    return BuildFailed("debootstrap (" + log.string() + ")", text ? *text : "");
  }
  // Smaller and without secrets: no docs, no package lists, no host keys (every node makes its
  // own at its first boot).
  std::error_code ec;
  for (const char* path : {"usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
                           "var/cache/apt", "var/lib/apt/lists"}) {
    for (const auto& entry : fs::directory_iterator(building / path, ec))
      fs::remove_all(entry.path(), ec);
  }
  for (const auto& entry : fs::directory_iterator(building / "etc/ssh", ec)) {
    if (entry.path().filename().string().starts_with("ssh_host_")) fs::remove(entry.path(), ec);
  }
  if (Status named = UseExtrausers(building / "etc/nsswitch.conf"); !named.ok()) {
    fs::remove_all(building, ec);
    return BuildFailed("adding extrausers to /etc/nsswitch.conf", named.error().message);
  }
  if (Status made = EnsureDirectory(base, 0755); !made.ok()) return made.error();
  fs::rename(building, base / "rootfs", ec);
  if (ec) return BuildFailed("moving the new base into the cache", ec.message());
  return base / "rootfs";
}

Result<fs::path> NodeImageBuilder::Ensure(const std::string& version) {
  if (!IsValidVersion(version)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeImageVersion",
                     "node image version '" + version.substr(0, 100) +
                         "' may hold only letters, digits, '.', '_' and '-'");
  }
  const fs::path image = options_.images_dir / version;
  if (fs::exists(image / "rootfs" / "etc/gangplank-node-image")) return image / "rootfs";
  if (Status made = EnsureDirectory(options_.images_dir, 0700); !made.ok()) return made.error();
  FileLock lock(options_.images_dir / ".lock");
  if (fs::exists(image / "rootfs" / "etc/gangplank-node-image")) return image / "rootfs";
  auto base = EnsureBase();
  if (!base) return base.error();
  const fs::path building = options_.images_dir / (".building-" + NewUuid());
  std::string output;
  // Hard links share the cache's files (an image is only ever a read-only lower layer); on
  // another file system, a full copy.
  int copied = RunToCompletion({"/bin/cp", "-al", base->string(), building.string()}, &output);
  if (copied != 0) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    copied = RunToCompletion({"/bin/cp", "-a", base->string(), building.string()}, &output);
  }
  const auto fail = [&](const std::string& what, const std::string& detail) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    return BuildFailed(what, detail);
  };
  if (copied != 0) return fail("copying the base image", output);
  std::error_code ec;
  fs::create_directories(building / "usr/lib/gangplank", ec);
  fs::copy_file(options_.agent_path, building / fs::path(kImageAgentPath).relative_path(),
                fs::copy_options::overwrite_existing, ec);
  if (ec) return fail("copying the node agent " + options_.agent_path, ec.message());
  if (Status stamped = WriteFileAtomically(building / "etc/gangplank-node-image", version + "\n",
                                           0644, IfExists::kReplace);
      !stamped.ok())
    return fail("stamping the version", stamped.error().message);
  if (Status made = EnsureDirectory(image, 0755); !made.ok())
    return fail("making " + image.string(), made.error().message);
  fs::rename(building, image / "rootfs", ec);
  if (ec) return fail("moving the image into place", ec.message());
  return image / "rootfs";
}

std::vector<std::string> NodeImageBuilder::Built() const {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.images_dir, ec)) {
    if (fs::exists(entry.path() / "rootfs" / "etc/gangplank-node-image"))
      versions.push_back(entry.path().filename().string());
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

}  // namespace gangplank::runtime
