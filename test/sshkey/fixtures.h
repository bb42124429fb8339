// Public keys made once by the real ssh-keygen (OpenSSH 9.2), with the fingerprints it printed.
#pragma once

#include <string>
#include <string_view>

#include "sshkey/wire.h"

namespace gangplank::testing {

inline constexpr std::string_view kEd25519Line =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5W0nYfQs0aAUwDPHRIp0wTQDa9K4R/DHN4dkVwYMqW "
    "fixture-ed25519";
inline constexpr std::string_view kEd25519Sha256 =
    "SHA256:XwHeguBZ6fuK7kpe01rnqagNrMavli71YaEKocNv9Q4";
inline constexpr std::string_view kEd25519Md5 =
    "MD5:3c:63:b7:0f:77:3f:b1:25:21:aa:9f:0d:29:14:1a:57";

inline constexpr std::string_view kEcdsa256Line =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDl+mdjpYgcpJouIpbjk0k2sSaw"
    "se2VabS6FVcogIuVESg5yqfFsWYHRTPY6sCeYvF/h7e9pmr3ZngLOxY3an4w= fixture-ecdsab256";
inline constexpr std::string_view kEcdsa256Sha256 =
    "SHA256:VjlZEYhS5X7ibbpotjPSHVd7Dnt8xY60brGT0yDweJk";

inline constexpr std::string_view kEcdsa384Line =
    "ecdsa-sha2-nistp384 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBFFGUTb5v6i4xMJ21hyikw6ODXM"
    "n7t4a1ChxpFcv5S1tdFdnq/KGFryigcSh0+Jgs6oClxiqcWPlx9N0gkfYvtPFFAj87A35WuPVNPpVc7d/"
    "qHuEzJGnlGwcQ9olYz"
    "HELw== fixture-ecdsab384";
inline constexpr std::string_view kEcdsa384Sha256 =
    "SHA256:gKBjmcK+dwwEnOgKAV9foMm6qIz+ntDfniasy3hpswQ";

inline constexpr std::string_view kRsa2048Line =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQDUy/8oSHRWNkY4GLUqbf5w0qtKWTTSQT3rdt0CDWvJ2mageVQL7ohSMwJSUMt"
    "2jaZw/"
    "bJEMQK6IzcyP6ptxRGUEZG3qwGwNmYd2HPR8Z91A2RYt+pz7LBmfFn9wb3RiKNUCDkcX0ubWPIoL35luBBY20ngfLG+tu8"
    "6tkfywxCLGZNgB2ZzDQAXVLSrcRVCNyL/"
    "k0DHpJHwwb3RHd4MpL5495XT2MLkMRFL6CQ+2x8BJnWoYfsRiI9n6ysO4On70jisAHo"
    "D0oVTKKLkQsybV0oELGBdR/uboSIGqVU8p29IliVPnEEUKxb/eUJ/amNsC2DSN+1tgKqno7F7nm9JwX6x "
    "fixture-rsab2048";
inline constexpr std::string_view kRsa2048Sha256 =
    "SHA256:U43PIIpmsMyLaR1yE0tzzaE5b5EA9DTcDJ47vmeh4qU";
inline constexpr std::string_view kRsa2048Md5 =
    "MD5:d2:6d:a5:99:92:25:5e:ff:67:85:a0:40:82:97:9e:d4";

// Builds hand-made blobs for the refusal tests.
inline std::string Blob(std::initializer_list<std::string_view> strings) {
  sshkey::WireWriter writer;
  for (std::string_view s : strings) writer.WriteString(s);
  return writer.data();
}

}  // namespace gangplank::testing
