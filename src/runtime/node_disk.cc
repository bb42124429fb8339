// A node's own disk: an ext4 file system in a sparse file, mounted through a loop device, so a
// node fills its own disk and never the host's.
#include "runtime/node_disk.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.h"
#include "common/process.h"

namespace gangplank::runtime {
namespace fs = std::filesystem;

namespace {

// True when `path` is the root of a file system mounted there.
bool IsMountPoint(const fs::path& path) {
  struct stat self {}, parent {};
  return ::stat(path.c_str(), &self) == 0 && ::stat(path.parent_path().c_str(), &parent) == 0 &&
         self.st_dev != parent.st_dev;
}

Error DiskError(const std::string& what, const fs::path& image) {
  return MakeError(StatusCode::kUnavailable, "NodeStartFailed",
                   what + " for the node's disk " + image.string() + ": " + std::strerror(errno));
}

// Mounts the ext4 file system in `image` on `target` through a free loop device, in this process
// (no mount(8) child that could outlive a gangplankd killed in the middle and mount it after a
// replica that took over has checked it). The device clears itself when the mount goes.
Status MountLoop(const fs::path& image, const fs::path& target) {
  const int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) return DiskError("opening /dev/loop-control", image);
  const int backing = ::open(image.c_str(), O_RDWR | O_CLOEXEC);
  if (backing < 0) {
    ::close(control);
    return DiskError("opening the image", image);
  }
  Status result = MakeError(StatusCode::kUnavailable, "NodeStartFailed",
                            "no free loop device for the node's disk " + image.string());
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int number = ::ioctl(control, LOOP_CTL_GET_FREE);
    if (number < 0) {
      result = DiskError("finding a free loop device", image);
      break;
    }
    // Without udev the device's node may be missing: made as losetup makes it.
    const std::string device = "/dev/loop" + std::to_string(number);
    if (::access(device.c_str(), F_OK) != 0)
      ::mknod(device.c_str(), S_IFBLK | 0660, ::makedev(7, static_cast<unsigned>(number)));
    const int loop = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (loop < 0) {
      result = DiskError("opening " + device, image);
      break;
    }
    loop_config config{};
    config.fd = static_cast<std::uint32_t>(backing);
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(),
                 LO_NAME_SIZE - 1);
    if (::ioctl(loop, LOOP_CONFIGURE, &config) != 0) {
      const bool taken = errno == EBUSY;  // another took it first: the next free one
      result = DiskError("attaching " + device, image);
      ::close(loop);
      if (taken) continue;
      break;
    }
    if (::mount(device.c_str(), target.c_str(), "ext4", MS_NODEV, "noinit_itable") == 0) {
      result = OkStatus();
    } else {
      result = DiskError("mounting " + device, image);
    }
    ::close(loop);  // mounted, the device stays; not, it clears itself now
    break;
  }
  ::close(backing);
  ::close(control);
  return result;
}

// True when a loop device still has `image` behind it.
bool AttachedToLoop(const fs::path& image) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
    if (!entry.path().filename().string().starts_with("loop")) continue;
    auto backing = ReadFile(entry.path() / "loop" / "backing_file", 4096);
    if (backing && backing->starts_with(image.string())) return true;
  }
  return false;
}

// True when the ext4 file system in `image` was unmounted cleanly: the kernel clears the
// superblock's "valid" bit (s_state, byte 58 of the superblock at 1024) while it is mounted.
bool CleanlyUnmounted(const fs::path& image) {
  const int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char state[2] = {};
  const bool read = ::pread(fd, state, sizeof state, 1024 + 58) == sizeof state;
  ::close(fd);
  return read && (state[0] & 0x1) != 0 && (state[0] & 0x2) == 0;  // valid, no errors recorded
}

}  // namespace

// A node's disk: an ext4 file system in a sparse file of the node's size (DIR/disk.img), made
// for each new machine. The host's disk holds only what the node wrote into it.
Status MakeNodeDisk(const fs::path& dir, long long bytes) {
  const fs::path image = dir / "disk.img";
  std::error_code ec;
  fs::remove(image, ec);
  const int fd = ::open(image.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 || ::ftruncate(fd, bytes) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed",
                     "cannot make the node's disk " + image.string() + ": " + why);
  }
  ::close(fd);
  // Inode tables are initialised as they are used, so a sparse file stays sparse. No journal:
  // a journaled file system keeps a kernel thread awake per mount (a thousand nodes, a thousand
  // threads), and a node's disk is checked (e2fsck -p) before it is mounted again instead. No
  // blocks reserved for growing it online (a node's disk never grows): 188 KiB written instead
  // of 4.2 MiB for 8G.
  return RunOrFail({"/sbin/mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal,^resize_inode", "-E",
              "nodiscard,lazy_itable_init=1", image.string()},
             "NodeStartFailed", "making the node's disk");
}

// Mounts the node's disk on DIR/disk (once) and returns where the overlay's writable layer goes.
// A node made before disks had a size has none: its layer stays in DIR until its next reimage.
Result<fs::path> MountNodeDisk(const fs::path& dir, const Fence& fence) {
  const fs::path image = dir / "disk.img", disk = dir / "disk";
  std::error_code ec;
  if (!fs::exists(image, ec)) return dir;
  if (Status made = EnsureDirectory(disk, 0700); !made.ok()) return made.error();
  if (!IsMountPoint(disk)) {
    const bool clean = CleanlyUnmounted(image);
    if (!clean && AttachedToLoop(image)) {
      // Still in use (unmounted lazily, or a start elsewhere holds it): never checked live.
      return MakeError(StatusCode::kUnavailable, "NodeDiskBusy",
                       "the node's disk " + image.string() + " is still in use; retrying");
    }
    // Asked again before the check and the mount: a start continued after another replica
    // mounted this disk must not check or mount it a second time.
    GP_RETURN_IF_ERROR(CheckFence(fence, "mounting the disk of " + dir.string()));
    if (!clean) {
      // A disk left unclean (its host stopped under it) is repaired as a VM's is at boot; exit
      // codes 1 and 2 mean repaired, 4 and above that it needs a person.
      std::string output;
      const int checked = RunCapturing({"/sbin/e2fsck", "-p", image.string()}, output);
      if (output.find("is mounted") != std::string::npos) {
        return MakeError(StatusCode::kUnavailable, "NodeDiskBusy",
                         "the node's disk " + image.string() + " is still in use; retrying");
      }
      if (checked >= 4) {
        return MakeError(StatusCode::kFailedPrecondition, "NodeDiskDamaged",
                         "the node's disk " + image.string() + " is damaged beyond e2fsck -p " +
                             "(exit " + std::to_string(checked) + "): " + output.substr(0, 400) +
                             "; reimage the node (a node image upgrade) to give it a new one");
      }
    }
    GP_RETURN_IF_ERROR(CheckFence(fence, "mounting the disk of " + dir.string()));
    if (Status mounted = MountLoop(image, disk); !mounted.ok()) return mounted.error();
  }
  return disk;
}

}  // namespace gangplank::runtime
