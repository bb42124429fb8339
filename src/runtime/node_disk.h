// A node's own disk: an ext4 file system in a sparse file (DIR/disk.img) of the node's size,
// mounted on DIR/disk through a loop device.
#pragma once

#include <filesystem>

#include "common/error.h"
#include "runtime/node_runtime.h"

namespace gangplank::runtime {

// Makes DIR/disk.img, `bytes` large, for a new machine. The host's disk holds only what the node
// writes into it.
Status MakeNodeDisk(const std::filesystem::path& dir, long long bytes);

// Mounts the node's disk on DIR/disk (once) and returns where the overlay's writable layer goes.
// A node made before disks had a size has none: its layer stays in DIR until its next reimage.
Result<std::filesystem::path> MountNodeDisk(const std::filesystem::path& dir,
                                            const Fence& fence = {});

}  // namespace gangplank::runtime
