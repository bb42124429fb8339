// SSH certificate records: their rows.
#include "audit/certificate_log.h"

#include <boost/json.hpp>
#include <charconv>

#include "common/json_fields.h"

namespace gangplank::audit {
namespace json = boost::json;

namespace {
constexpr std::string_view kParent = "/gangplank/sshCertificates";
}  // namespace

store::Resource EncodeCertificateRecord(const CertificateRecord& record) {
  const std::string serial = std::to_string(record.serial);
  return {std::string(kSshCertificateKind), std::string(kParent) + "/" + serial,
          std::string(kParent),
          json::serialize(json::object{{"serial", serial},
                                       {"keyId", record.key_id},
                                       {"principal", record.principal},
                                       {"objectId", record.object_id},
                                       {"fingerprint", record.fingerprint},
                                       {"validAfter", record.valid_after},
                                       {"validBefore", record.valid_before}}),
          0};
}

Result<CertificateRecord> DecodeCertificateRecord(const store::Resource& row) {
  const auto doc = ParseJsonObject(row.body);
  const json::value* before = doc ? doc->if_contains("validBefore") : nullptr;
  const json::value* after = doc ? doc->if_contains("validAfter") : nullptr;
  CertificateRecord record;
  const std::string serial = doc ? StringField(*doc, "serial") : std::string();
  const auto [end, ec] = std::from_chars(serial.data(), serial.data() + serial.size(), record.serial);
  if (!before || !before->is_int64() || !after || !after->is_int64() || ec != std::errc() ||
      end != serial.data() + serial.size()) {
    return MakeError(StatusCode::kInternal, "UnreadableCertificateRecord",
                     "the certificate record " + row.id + " is not readable");
  }
  record.key_id = StringField(*doc, "keyId");
  record.principal = StringField(*doc, "principal");
  record.object_id = StringField(*doc, "objectId");
  record.fingerprint = StringField(*doc, "fingerprint");
  record.valid_after = after->get_int64();
  record.valid_before = before->get_int64();
  return record;
}

}  // namespace gangplank::audit
