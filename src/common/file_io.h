// File I/O with the guarantees keys need: crash-safe writes, bounded reads, wiped secret reads.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "common/error.h"
#include "common/secure_buffer.h"

namespace gangplank {

enum class IfExists {
  kReplace,  // atomically replace an existing file
  kFail,     // never overwrite: AlreadyExists if the path is taken (checked atomically)
};

// Readers see either the old file or the whole new one, never a partial write; the file has
// exactly `mode` (umask does not apply).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode, IfExists if_exists);

// WriteFileAtomically (kReplace) unless the file already holds exactly `contents`; true when it
// wrote. A file rewritten on every pass (a node's sshd files) is then left alone, and whoever
// watches it sees a change only when there is one.
Result<bool> WriteFileIfChanged(const std::filesystem::path& path, std::string_view contents,
                                mode_t mode);

// Creates `dir` (and missing parents) with `mode`; an existing directory is left as it is.
Status EnsureDirectory(const std::filesystem::path& dir, mode_t mode);

inline constexpr std::size_t kNoSizeLimit = static_cast<std::size_t>(-1);

// Reads a whole file; NotFound, PermissionDenied, InvalidArgument (a directory, or larger than
// `max_bytes`) with the path named.
Result<std::string> ReadFile(const std::filesystem::path& path,
                             std::size_t max_bytes = kNoSizeLimit);

// The same for a file that may hold a private key: every buffer it passes through is wiped.
Result<SecureString> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes);

// A stream such as standard input, read the same careful way.
Result<SecureString> ReadSecretStream(int fd, std::string_view name, std::size_t max_bytes);

}  // namespace gangplank
