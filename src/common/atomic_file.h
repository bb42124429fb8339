// Crash-safe file writes: temp file in the same directory, fsync, rename, fsync the directory.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "common/error.h"

namespace gangplank {

enum class IfExists {
  kReplace,  // atomically replace an existing file
  kFail,     // never overwrite: AlreadyExists if the path is taken (checked atomically)
};

// Readers see either the old file or the whole new one, never a partial write; the file has
// exactly `mode` (umask does not apply).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode, IfExists if_exists);

// Creates `dir` (and missing parents) with `mode`; an existing directory is left as it is.
Status EnsureDirectory(const std::filesystem::path& dir, mode_t mode);

// Reads a whole file; NotFound, PermissionDenied or InvalidArgument (a directory) with the path
// named.
Result<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace gangplank
