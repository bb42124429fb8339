// The record of every SSH certificate the control plane signs: its serial (unique), key id,
// principal, the identity's object id, the key's fingerprint and validity. Kept as long as the
// activity log's events after the certificate ends, so a login can be traced to its issue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::audit {

inline constexpr std::string_view kSshCertificateKind = "sshCertificate";

struct CertificateRecord {
  std::uint64_t serial = 0;
  std::string key_id;
  std::string principal;
  std::string object_id;
  std::string fingerprint;  // SHA256:… of the certified key
  long long valid_after = 0, valid_before = 0;  // Unix seconds
};

store::Resource EncodeCertificateRecord(const CertificateRecord& record);
Result<CertificateRecord> DecodeCertificateRecord(const store::Resource& row);

}  // namespace gangplank::audit
