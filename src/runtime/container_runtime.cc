// runc containers on overlays of node images, each with a veth on the node bridge.
#include "runtime/container_runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "common/file_io.h"
#include "common/parallel.h"
#include "common/process.h"
#include "runtime/node_disk.h"
#include "runtime/node_firewall.h"

namespace gangplank::runtime {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kDefaultNodesRoot = "/var/lib/gangplank/nodes";
constexpr const char* kNodeDirInside = "/var/lib/gangplank-node";

bool IsNodeUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 &&
         uid.find_first_not_of("0123456789abcdef-") == std::string::npos;
}

// The host end of a node's veth: "gpv" and 12 hex digits of its uid (15 characters, IFNAMSIZ).
std::string HostVeth(const std::string& uid) {
  std::string hex;
  for (const char c : uid)
    if (c != '-' && hex.size() < 12) hex += c;
  return "gpv" + hex;
}

fs::path RuncRoot(const fs::path& nodes_dir) { return nodes_dir / ".runc"; }

// A running node's token file is rewritten once an hour: its agent renews its token itself, but
// one cut off from the control plane for longer than a token lives reads the file again after a
// 401 (the file is bind-mounted into the node read-only).
bool TokenFileDue(const fs::path& dir) {
  std::error_code ec;
  const auto written = fs::last_write_time(dir / "secrets" / "token", ec);
  return ec || fs::file_time_type::clock::now() - written >= std::chrono::hours(1);
}

void RefreshTokenFile(const fs::path& dir, const std::function<std::string()>& token) {
  if (TokenFileDue(dir))
    (void)WriteFileAtomically(dir / "secrets" / "token", token(), 0600, IfExists::kReplace);
}

// What a node was started with; a different generation means a new machine.
struct Launched {
  std::int64_t generation = 0;
  std::string image;
};

std::optional<Launched> ReadLaunched(const fs::path& dir) {
  auto text = ReadFile(dir / "launch.json", 64 * 1024);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  const json::value doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::object& object = doc.as_object();
  const json::value* generation = object.if_contains("generation");
  const json::value* image = object.if_contains("image");
  if (!generation || !generation->is_int64() || !image || !image->is_string()) return std::nullopt;
  return Launched{generation->as_int64(), std::string(image->as_string())};
}

// The pid of the node's first process while it runs: the pid runc wrote, still alive and in the
// node's own cgroup (a pid reused by something else is not).
pid_t InitPid(const fs::path& dir, const std::string& uid) {
  auto text = ReadFile(dir / "init.pid", 64);
  if (!text) return -1;
  pid_t pid = -1;
  try {
    pid = static_cast<pid_t>(std::stol(*text));
  } catch (...) {
    return -1;
  }
  if (pid <= 1 || !ProcessAlive(pid)) return -1;
  auto cgroups = ReadFile("/proc/" + std::to_string(pid) + "/cgroup", 64 * 1024);
  if (!cgroups || cgroups->find("/gangplank/" + uid) == std::string::npos) return -1;
  return pid;
}

Status Run(const std::vector<std::string>& argv, const std::string& what) {
  return RunOrFail(argv, "NodeStartFailed", what);
}

// Unmounts everything mounted on `path` (a start cut short may have mounted twice), for real: the
// node's processes are gone, so nothing should hold it, and a disk still mounted lazily could not
// be checked or mounted again. Detached lazily only if it stays busy.
void UnmountAll(const fs::path& path) {
  for (int busy = 0; busy < 50;) {
    if (::umount2(path.c_str(), 0) == 0) continue;
    if (errno != EBUSY) return;  // nothing (more) mounted there
    ++busy;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  while (::umount2(path.c_str(), MNT_DETACH) == 0) {
  }
}

// Ends the node's container: its first process gets SIGKILL, which ends the PID namespace and
// so every process of the node; runc then forgets it and its cgroup. (runc's own `delete --force`
// sleeps 100 ms at least before it looks again; waiting on a pidfd here takes what the kernel
// takes.) The overlay is unmounted. The disk stays. Whatever part of a start a crash left (a
// container runc knows but that never ran, an overlay mounted twice) goes too, so every start
// after it begins from the same place. The fence is asked before each step: one paused after
// the kill and continued after another replica started the node again never deletes or
// unmounts that new one.
Status StopContainer(const fs::path& nodes_dir, const std::string& uid, const std::string& runc,
                     const Fence& fence = {}) {
  const std::string act = "stopping node " + uid;
  const fs::path dir = nodes_dir / uid;
  GP_RETURN_IF_ERROR(CheckFence(fence, act));
  if (const pid_t pid = InitPid(dir, uid); pid > 0) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);  // never a reused pid
      pollfd exited{pidfd, POLLIN, 0};
      ::poll(&exited, 1, 5000);
      ::close(pidfd);
    }
    for (int i = 0; i < 500 && ProcessAlive(pid); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::error_code ec;
  if (fs::exists(RuncRoot(nodes_dir) / uid, ec)) {  // runc's state of this container
    GP_RETURN_IF_ERROR(CheckFence(fence, act));
    std::string ignored;
    const std::string root = RuncRoot(nodes_dir).string();
    if (RunCapturing({runc, "--root", root, "delete", uid}, ignored) != 0) {
      GP_RETURN_IF_ERROR(CheckFence(fence, act));
      RunCapturing({runc, "--root", root, "delete", "--force", uid}, ignored);
    }
  }
  GP_RETURN_IF_ERROR(CheckFence(fence, act));
  UnmountAll(dir / "bundle" / "rootfs");
  UnmountAll(dir / "disk");  // its loop device goes with it
  return OkStatus();
}

// Ends the node's network namespace (bound to NODE_DIR/netns): its veth and address go with it.
void ReleaseNodeNetns(const fs::path& dir) { ::umount2((dir / "netns").c_str(), MNT_DETACH); }

json::array Strings(std::initializer_list<const char*> items) {
  json::array array;
  for (const char* item : items) array.emplace_back(item);
  return array;
}

json::object Mount(const char* destination, const char* type, const std::string& source,
                   std::initializer_list<const char*> options) {
  return {{"destination", destination},
          {"type", type},
          {"source", source},
          {"options", Strings(options)}};
}

// What root inside a node may not ask of the kernel: the calls Docker's default seccomp profile
// refuses a container without CAP_SYS_ADMIN (new namespaces, mounts, keyrings, BPF, kernel
// modules, reboot, the clock, swap, other processes' memory, userfaultfd …), the surface most
// container escapes start from. Denied by name, for 64- and 32-bit callers alike.
constexpr const char* kRefusedCalls[] = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
    "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
    "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount",
    "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
    "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
    "process_vm_writev", "quotactl", "quotactl_fd", "reboot", "request_key", "set_mempolicy",
    "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl", "umount",
    "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old"};
// clone(2) flags that make a namespace; clone3 passes its flags in memory a filter cannot read,
// so it answers ENOSYS and the C library falls back to clone, whose flags are checked.
constexpr std::uint64_t kNamespaceFlags[] = {0x00020000, 0x02000000, 0x04000000, 0x08000000,
                                             0x10000000, 0x20000000, 0x40000000};

json::object SeccompProfile() {
  json::array names;
  for (const char* call : kRefusedCalls) names.emplace_back(call);
  json::array rules{json::object{
      {"names", std::move(names)}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EPERM}}};
  for (const std::uint64_t flag : kNamespaceFlags) {
    rules.push_back(json::object{
        {"names", json::array{"clone"}},
        {"action", "SCMP_ACT_ERRNO"},
        {"errnoRet", EPERM},
        {"args", json::array{json::object{
                     {"index", 0}, {"value", flag}, {"valueTwo", flag}, {"op", "SCMP_CMP_MASKED_EQ"}}}}});
  }
  rules.push_back(json::object{
      {"names", json::array{"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", json::array{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls", std::move(rules)}};
}

// The OCI runtime spec of a node: runc's defaults (masked /proc paths, read-only /sys) plus what
// sshd, useradd and sudo need (setuid, chown, chroot …), never CAP_SYS_ADMIN or CAP_NET_ADMIN,
// and the seccomp profile above. New privileges are allowed: the admin user's sudo is setuid.
std::string NodeSpec(const NodeLaunch& node, const fs::path& control_dir,
                     const fs::path& secrets_dir, const fs::path& netns,
                     const ContainerRuntimeOptions& options) {
  const json::array capabilities =
      Strings({"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
               "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID", "CAP_SYS_CHROOT"});
  json::object process{
      {"terminal", false},
      {"user", json::object{{"uid", 0}, {"gid", 0}}},
      {"args", json::array{"/usr/bin/dumb-init", "--", kImageAgentPath, "--server",
                           "unix:/run/gangplank/node.sock", "--token-file",
                           "/run/gangplank-node/token", "--node-dir", kNodeDirInside, "--machine",
                           "--generation", std::to_string(node.reimage_generation)}},
      {"env", Strings({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "HOME=/root", "container=gangplank"})},
      {"cwd", "/"},
      {"capabilities",
       json::object{
           {"bounding", capabilities}, {"effective", capabilities}, {"permitted", capabilities}}},
      {"rlimits",
       json::array{json::object{{"type", "RLIMIT_NOFILE"}, {"hard", 4096}, {"soft", 4096}}}},
      {"noNewPrivileges", false}};
  json::array mounts{
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/run/gangplank", "bind", control_dir.string(),
            {"rbind", "ro", "nosuid", "nodev", "noexec"}),
      Mount("/run/gangplank-node", "bind", secrets_dir.string(),
            {"rbind", "ro", "nosuid", "nodev", "noexec"})};
  json::array namespaces{json::object{{"type", "network"}, {"path", netns.string()}}};
  for (const char* type : {"pid", "ipc", "uts", "mount", "cgroup"})
    namespaces.push_back(json::object{{"type", type}});
  json::object linux{
      {"cgroupsPath", "/gangplank/" + node.uid},
      {"resources",
       json::object{{"devices", json::array{json::object{{"allow", false}, {"access", "rwm"}}}},
                    {"memory", json::object{{"limit", options.memory_limit_bytes}}},
                    {"pids", json::object{{"limit", options.pids_limit}}}}},
      {"namespaces", namespaces},
      {"seccomp", SeccompProfile()},
      {"maskedPaths", Strings({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                               "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                               "/proc/sched_debug", "/sys/firmware", "/proc/scsi"})},
      {"readonlyPaths",
       Strings({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"})}};
  return json::serialize(
      json::object{{"ociVersion", "1.0.2"},
                   {"process", process},
                   {"root", json::object{{"path", "rootfs"}, {"readonly", false}}},
                   {"hostname", node.hostname},
                   {"mounts", mounts},
                   {"linux", linux}});
}

// True when PATH is a namespace bound there (nsfs), not just the empty file it is bound onto.
bool IsBoundNamespace(const fs::path& path) {
  struct statfs info {};
  return ::statfs(path.c_str(), &info) == 0 &&
         static_cast<unsigned long>(info.f_type) == NSFS_MAGIC;
}

// Deletes a host link if it exists (with its veth peer, wherever that is).
Status DeleteLink(const std::string& name) {
  std::error_code ec;
  if (!fs::exists(fs::path("/sys/class/net") / name, ec)) return OkStatus();
  return Run({"/sbin/ip", "link", "del", name}, "removing the leftover link " + name);
}

// Runs `ip -batch FILE` (optionally inside a network namespace): one process for several steps.
Status IpBatch(const fs::path& file, const std::string& commands, const std::string& what,
               const std::string& netns = "") {
  if (Status written = WriteFileAtomically(file, commands, 0600, IfExists::kReplace); !written.ok())
    return written;
  std::vector<std::string> argv;
  if (!netns.empty()) argv = {"/usr/bin/nsenter", "--net=" + netns};
  argv.insert(argv.end(), {"/sbin/ip", "-batch", file.string()});
  return Run(argv, what);
}

}  // namespace

ContainerRuntime::ContainerRuntime(ContainerRuntimeOptions options)
    : options_(std::move(options)) {}

// When `pid` started (clock ticks since boot, /proc/PID/stat's 22nd field): with the pid, it names
// one process for good, as a pid alone does not (pids are reused).
long long ProcessStartTicks(pid_t pid) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text) return -1;
  std::istringstream fields(text->substr(text->rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::atoll(field.c_str());
  }
  return -1;
}

// The sweep asks about every node every 30 s: a node this process started or adopted is checked
// with one poll of its pidfd (or a read of /proc/PID/stat without one) instead of its files and
// cgroup.
void ContainerRuntime::Remember(const std::string& uid, pid_t pid, std::int64_t generation) {
  const long long started = pid > 0 ? ProcessStartTicks(pid) : -1;
  std::shared_ptr<PidFd> exit;
  if (started >= 0) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) exit = std::make_shared<PidFd>(fd);
  }
  {
    std::lock_guard lock(mutex_);
    if (started < 0) {
      running_.erase(uid);  // stopped on purpose from here on: no exit to report
    } else {
      running_[uid] = {pid, generation, started, std::move(exit)};
    }
  }
  WakeWatcher();
}

ContainerRuntime::PidFd::~PidFd() {
  if (fd >= 0) ::close(fd);
}

void ContainerRuntime::WakeWatcher() {
  if (wake_fd_ < 0) return;
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void ContainerRuntime::WatchExits(std::function<void(const std::string& uid)> on_exit) {
  {
    // Waits for a call in flight: once this returns, the old callback is never called again.
    std::lock_guard lock(callback_mutex_);
    on_exit_ = std::move(on_exit);
  }
  if (watcher_.joinable() || !on_exit_) return;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return;
  watcher_ = std::thread([this] { WatchLoop(); });
}

ContainerRuntime::~ContainerRuntime() {
  stopping_ = true;
  WakeWatcher();
  if (watcher_.joinable()) watcher_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ContainerRuntime::WatchLoop() {
  while (!stopping_) {
    // The pidfds of every node known to run, held here while waited on.
    std::vector<std::pair<std::string, std::shared_ptr<PidFd>>> watched;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [uid, running] : running_)
        if (running.exit) watched.emplace_back(uid, running.exit);
    }
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (const auto& entry : watched) fds.push_back({entry.second->fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const auto& [uid, exit] = watched[i - 1];
      {
        // Only if it is still the process this runtime counts on (not one it stopped itself).
        std::lock_guard lock(mutex_);
        auto found = running_.find(uid);
        if (found == running_.end() || found->second.exit != exit) continue;
        running_.erase(found);
      }
      std::lock_guard lock(callback_mutex_);
      if (on_exit_) on_exit_(uid);
    }
  }
}

bool ContainerRuntime::StillRunning(const std::string& uid, std::int64_t generation) {
  Running known;
  {
    std::lock_guard lock(mutex_);
    auto found = running_.find(uid);
    if (found == running_.end() || found->second.generation != generation) return false;
    known = found->second;
  }
  // A process held by a pidfd is the one started, whatever its pid became: the pidfd turns
  // readable when it exits. Polling it is one system call, where reading /proc/PID/stat for
  // each of 2,000 nodes every sweep was most of an idle sweep's time.
  if (known.exit) {
    pollfd exited{known.exit->fd, POLLIN, 0};
    return ::poll(&exited, 1, 0) == 0;
  }
  return ProcessStartTicks(known.pid) == known.started && ProcessAlive(known.pid);
}

bool ContainerRuntime::Settled(const NodeLaunch& node) {
  return IsNodeUid(node.uid) && StillRunning(node.uid, node.reimage_generation) &&
         !TokenFileDue(NodeDir(node.uid));
}

std::shared_ptr<std::mutex> ContainerRuntime::NodeLock(const std::string& uid) {
  std::lock_guard lock(mutex_);
  auto& entry = node_locks_[uid];
  if (!entry) entry = std::make_shared<std::mutex>();
  return entry;
}

fs::path ContainerRuntime::DefaultNodesDir(const std::string& data_dir) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string absolute = fs::absolute(data_dir).lexically_normal().string();
  EVP_Digest(absolute.data(), absolute.size(), digest, &length, EVP_sha256(), nullptr);
  char hex[13];
  for (int i = 0; i < 6; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return kDefaultNodesRoot / hex;
}

fs::path ContainerRuntime::SharedNodesDir(const std::string& bridge) {
  return kDefaultNodesRoot / bridge;
}

Status ContainerRuntime::Ensure(const NodeLaunch& node, const Fence& fence) {
  if (::geteuid() != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "LocalNodesNeedRoot",
                     "local nodes are containers (runc, a network namespace on the node bridge, "
                     "an overlay mount): run gangplankd as root or use --nodes simulated");
  }
  if (!IsNodeUid(node.uid)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeUid", "node uid is not a uuid");
  }
  std::lock_guard lock(*NodeLock(node.uid));  // nodes start side by side, each once
  const fs::path dir = NodeDir(node.uid);
  if (StillRunning(node.uid, node.reimage_generation)) {
    RefreshTokenFile(dir, node.token);
    return OkStatus();
  }
  const auto launched = ReadLaunched(dir);
  if (launched && launched->generation > node.reimage_generation) {
    // Whoever asks for an older machine read the store before a newer one was made (a paused
    // controller): a node never goes back.
    return MakeError(StatusCode::kAborted, "StaleNodeGeneration",
                     "node " + node.uid + " already runs generation " +
                         std::to_string(launched->generation) + ", newer than the " +
                         std::to_string(node.reimage_generation) + " asked for");
  }
  const bool same_machine = launched && launched->generation == node.reimage_generation;
  if (const pid_t pid = InitPid(dir, node.uid); same_machine && pid > 0) {
    GP_RETURN_IF_ERROR(CheckFence(fence, "adopting node " + node.uid));
    Remember(node.uid, pid, node.reimage_generation);  // adopted: started before this process
    RefreshTokenFile(dir, node.token);
    return Admit(node);  // the firewall may have been made again since (a host's restart)
  }
  // Every step below may have been done before, by this process or by a replica that died in
  // the middle: each one takes what it finds to the same end. A replica paused in the middle
  // and continued after another took over finds its fence closed at its next step: it never
  // stops or unmounts what the other started since.
  Remember(node.uid, -1, 0);
  GP_RETURN_IF_ERROR(StopContainer(options_.nodes_dir, node.uid, options_.runc, fence));
  // A restart keeps the disk and the image it was made from. Anything else is a new machine.
  const std::string image = same_machine ? launched->image : node.image_version;
  if (!same_machine) GP_RETURN_IF_ERROR(Prepare(node, image, fence));
  auto lower = options_.images->Ensure(image);
  if (!lower) return lower.error();
  Status started = Start(node, *lower, fence);
  if (!started.ok()) {
    // Undone only by the holder it failed for: after a lost fence the container may be another's.
    if (started.error().code != StatusCode::kAborted)
      (void)StopContainer(options_.nodes_dir, node.uid, options_.runc, fence);
    return started;
  }
  Remember(node.uid, InitPid(dir, node.uid), node.reimage_generation);
  return OkStatus();
}

// A new machine: nothing of an earlier one survives (files, accounts, host keys), and what it
// will be is written down before it starts, so a start cut short is finished the same way.
Status ContainerRuntime::Prepare(const NodeLaunch& node, const std::string& image,
                                 const Fence& fence) {
  const fs::path dir = NodeDir(node.uid);
  GP_RETURN_IF_ERROR(CheckFence(fence, "starting node " + node.uid));
  std::error_code ec;
  fs::remove_all(dir / "upper", ec);
  fs::remove_all(dir / "work", ec);
  GP_RETURN_IF_ERROR(EnsureDirectory(options_.nodes_dir, 0755));
  GP_RETURN_IF_ERROR(EnsureDirectory(dir, 0700));
  const long long size = node.disk_bytes > 0 ? std::min(node.disk_bytes, options_.max_disk_bytes)
                                             : options_.max_disk_bytes;
  GP_RETURN_IF_ERROR(MakeNodeDisk(dir, size));
  GP_RETURN_IF_ERROR(CheckFence(fence, "starting node " + node.uid));
  return WriteFileAtomically(
      dir / "launch.json",
      json::serialize(json::object{{"generation", node.reimage_generation}, {"image", image}}),
      0600, IfExists::kReplace);
}

Status ContainerRuntime::Start(const NodeLaunch& node, const fs::path& lower,
                               const Fence& fence) {
  const std::string act = "starting node " + node.uid;
  const fs::path dir = NodeDir(node.uid);
  const fs::path rootfs = dir / "bundle" / "rootfs";
  for (const auto& [path, mode] :
       std::vector<std::pair<fs::path, mode_t>>{{options_.nodes_dir, 0755},
                                                {dir, 0700},
                                                {dir / "bundle", 0700},
                                                {rootfs, 0755},
                                                {dir / "secrets", 0700},
                                                {RuncRoot(options_.nodes_dir), 0700}}) {
    if (Status made = EnsureDirectory(path, mode); !made.ok()) return made;
  }
  GP_RETURN_IF_ERROR(EnsureNodeNetns(node, dir, fence));
  GP_RETURN_IF_ERROR(Admit(node));
  GP_ASSIGN_OR_RETURN(const fs::path disk, MountNodeDisk(dir, fence));
  for (const auto& [path, mode] :
       std::vector<std::pair<fs::path, mode_t>>{{disk / "upper", 0755}, {disk / "work", 0700}}) {
    if (Status made = EnsureDirectory(path, mode); !made.ok()) return made;
  }
  const std::string overlay = "lowerdir=" + lower.string() +
                              ",upperdir=" + (disk / "upper").string() +
                              ",workdir=" + (disk / "work").string();
  GP_RETURN_IF_ERROR(CheckFence(fence, act));
  if (::mount("overlay", rootfs.c_str(), "overlay", MS_NODEV, overlay.c_str()) != 0) {
    return MakeError(
        StatusCode::kUnavailable, "NodeStartFailed",
        "cannot mount the node's overlay on " + rootfs.string() + ": " + std::strerror(errno));
  }
  for (Status step :
       {WriteFileAtomically(dir / "secrets" / "token", node.token(), 0600, IfExists::kReplace),
        WriteFileAtomically(dir / "bundle" / "config.json",
                            NodeSpec(node, options_.nodes_dir / "control", dir / "secrets",
                                     dir / "netns", options_),
                            0600, IfExists::kReplace)}) {
    if (!step.ok()) return step;
  }
  const std::string root = RuncRoot(options_.nodes_dir).string();
  GP_RETURN_IF_ERROR(CheckFence(fence, act));
  std::error_code ec;
  fs::remove(dir / "init.pid", ec);
  // runc hands its standard streams to the node's first process: the agent's output file. The
  // network namespace exists already, so create and start are one step.
  const std::vector<std::string> run = {options_.runc,
                                        "--root",
                                        root,
                                        "run",
                                        "--detach",
                                        "--bundle",
                                        (dir / "bundle").string(),
                                        "--pid-file",
                                        (dir / "init.pid").string(),
                                        node.uid};
  if (RunLoggingTo(run, (dir / "console.log").string()) != 0) {
    auto log = ReadFile(dir / "console.log", 1 << 20);
    std::string tail = log ? *log : "";
    if (tail.size() > 600) tail = tail.substr(tail.size() - 600);
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed", "runc run failed: " + tail);
  }
  if (InitPid(dir, node.uid) <= 0) {
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed",
                     "runc started the node but its first process is not there");
  }
  return OkStatus();
}

// The node's network namespace outlives its containers (a reimage replaces the machine, not its
// network card): it is bound to NODE_DIR/netns (unshare --net=FILE), with a veth whose host end is
// on the bridge and whose other end is eth0 with the node's address. Made once per node; only the
// /16 is routed, so a node reaches its peers and the host, nothing beyond. Releasing the binding
// (ReleaseNodeNetns) ends the namespace, and with it the veth and the address.
Status ContainerRuntime::EnsureNodeNetns(const NodeLaunch& node, const fs::path& dir,
                                         const Fence& fence) {
  const fs::path netns = dir / "netns";
  const std::string veth = HostVeth(node.uid);
  GP_ASSIGN_OR_RETURN(const std::string bridge, options_.network.BridgeFor(node.address));
  if (IsBoundNamespace(netns) && AttachedToBridge(veth, bridge)) return OkStatus();
  GP_RETURN_IF_ERROR(CheckFence(fence, "giving node " + node.uid + " its network"));
  // Less than that is what a start cut short left (a namespace without its veth, a veth not on
  // the bridge, a veth of a namespace no longer bound here): made again from nothing.
  ReleaseNodeNetns(dir);
  if (Status deleted = DeleteLink(veth); !deleted.ok()) return deleted;
  if (HeldOnHost(node.address)) {
    return MakeError(StatusCode::kUnavailable, "NodeAddressInUse",
                     "the address " + node.address + " is held by an interface of this host");
  }
  if (Status made = WriteFileAtomically(netns, "", 0600, IfExists::kReplace); !made.ok())
    return made;
  if (Status bound = Run({"/usr/bin/unshare", "--net=" + netns.string(), "/bin/true"},
                         "making the node's network namespace");
      !bound.ok())
    return bound;
  const std::string steps = "link add eth0 type veth peer name " + veth + " netns " +
                            std::to_string(::getpid()) + "\naddr add " + node.address +
                            "/16 dev eth0\nlink set eth0 addrgenmode none\nlink set eth0 up\n"
                            "link set lo up\n";
  Status configured =
      IpBatch(dir / "node.ip", steps, "giving the node its address", netns.string());
  if (configured.ok()) configured = EnsureBridgeSegment(options_.network, bridge);
  // Neither end gets an IPv6 link-local address (nodes speak IPv4, as on an AKS VNet): each one
  // would announce itself by multicast, which a bridge floods to every port, so a thousand nodes
  // coming up cost the host a million packets. The host end is set here, since moving it out of
  // the node's namespace reset what it was made with.
  if (configured.ok()) {
    configured = IpBatch(dir / "host.ip",
                         "link set " + veth + " addrgenmode none\nlink set " + veth + " master " +
                             bridge + " up\n",
                         "attaching the node to the bridge " + bridge);
  }
  if (!configured.ok()) {
    ReleaseNodeNetns(dir);
    (void)DeleteLink(veth);
  }
  return configured;
}

// The firewall lets the node reach its own cluster's nodes; what it was admitted as is kept
// beside it (NODE_DIR/peer), so its removal takes exactly that back out.
Status ContainerRuntime::Admit(const NodeLaunch& node) {
  const std::string cluster = ClusterOfMachine(node.machine_id);
  if (Status admitted = AdmitNode(options_.network, node.address, cluster); !admitted.ok())
    return admitted;
  return WriteFileAtomically(NodeDir(node.uid) / "peer", node.address + " " + cluster + "\n", 0600,
                             IfExists::kReplace);
}

void ContainerRuntime::Forget(const std::string& uid) {
  auto text = ReadFile(NodeDir(uid) / "peer", 4096);
  if (!text) return;
  std::istringstream fields(*text);
  std::string address, cluster;
  if (fields >> address >> cluster) ForgetNode(options_.network, address, cluster);
}

Status ContainerRuntime::Remove(const std::string& uid, const Fence& fence) {
  if (!IsNodeUid(uid)) return OkStatus();
  const auto node_lock = NodeLock(uid);
  std::lock_guard lock(*node_lock);
  const std::string act = "removing node " + uid;
  Remember(uid, -1, 0);  // stopped on purpose: not an exit to report
  GP_RETURN_IF_ERROR(StopContainer(options_.nodes_dir, uid, options_.runc, fence));
  GP_RETURN_IF_ERROR(CheckFence(fence, act));
  Forget(uid);
  ReleaseNodeNetns(NodeDir(uid));
  (void)DeleteLink(HostVeth(uid));  // gone with its namespace, unless something else holds that
  std::error_code ec;
  fs::remove_all(NodeDir(uid), ec);
  if (ec) {
    return MakeError(StatusCode::kUnavailable, "NodeRemoveFailed",
                     "cannot remove " + NodeDir(uid).string() + ": " + ec.message());
  }
  std::lock_guard map_lock(mutex_);
  node_locks_.erase(uid);  // the controller never starts a node it is removing
  running_.erase(uid);
  return OkStatus();
}

std::vector<std::string> ContainerRuntime::List() {
  std::vector<std::string> uids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.nodes_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && IsNodeUid(name)) uids.push_back(name);
  }
  return uids;
}

int ContainerRuntime::StopAll(const fs::path& nodes_dir, const std::string& runc) {
  std::vector<std::string> uids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(nodes_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && IsNodeUid(name)) uids.push_back(name);
  }
  // Eight at a time, as the node controller starts them: stopping is mostly waiting.
  ParallelFor(uids.size(), 8, [&](std::size_t i) {
    (void)StopContainer(nodes_dir, uids[i], runc);
    ReleaseNodeNetns(nodes_dir / uids[i]);  // a started node gets its network again
  });
  return static_cast<int>(uids.size());
}

Status ContainerRuntime::RemoveAll(const fs::path& nodes_dir, const std::string& runc) {
  StopAll(nodes_dir, runc);
  std::error_code ec;
  fs::remove_all(nodes_dir, ec);
  if (ec) {
    return MakeError(StatusCode::kUnavailable, "NodeRemoveFailed",
                     "cannot remove " + nodes_dir.string() + ": " + ec.message());
  }
  // The default root's directories go too when nothing else is left in them.
  if (nodes_dir.parent_path() == kDefaultNodesRoot && fs::remove(kDefaultNodesRoot, ec))
    fs::remove(kDefaultNodesRoot.parent_path(), ec);
  return OkStatus();
}

}  // namespace gangplank::runtime
