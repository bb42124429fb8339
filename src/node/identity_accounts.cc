// Identity accounts of an EntraId node: extrausers' passwd, group and shadow, homes, principals.
#include "node/identity_accounts.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "common/file_io.h"

namespace gangplank::node {
namespace fs = std::filesystem;

namespace {

constexpr unsigned kIdentityGid = kFirstIdentityUid - 2;
constexpr unsigned kAdminGid = kFirstIdentityUid - 1;

// name → uid of the accounts extrausers' passwd holds (what earlier passes gave out).
std::map<std::string, unsigned> KnownAccounts(const fs::path& passwd) {
  std::map<std::string, unsigned> accounts;
  auto text = ReadFile(passwd, 16 << 20);
  if (!text) return accounts;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string name, password, uid;
    if (!std::getline(fields, name, ':') || !std::getline(fields, password, ':') ||
        !std::getline(fields, uid, ':') || !protocol::IsIdentityLoginName(name))
      continue;
    const unsigned long value = std::strtoul(uid.c_str(), nullptr, 10);
    if (value >= kFirstIdentityUid && value < 0xFFFFFFFEul)
      accounts[name] = static_cast<unsigned>(value);
  }
  return accounts;
}

Status EnsureHome(const fs::path& home, unsigned uid) {
  std::error_code ec;
  if (fs::exists(home, ec)) return OkStatus();
  GP_RETURN_IF_ERROR(EnsureDirectory(home, 0750));
  if (::chown(home.c_str(), uid, kIdentityGid) != 0) {
    return MakeError(StatusCode::kUnavailable, "IdentityHomeFailed",
                     "cannot give " + home.string() + " to uid " + std::to_string(uid));
  }
  return OkStatus();
}

// extrausers' three files, every account known so far in uid order.
Status WriteAccountFiles(const std::map<std::string, unsigned>& accounts,
                         const std::vector<protocol::IdentityLogin>& logins,
                         const IdentityAccountPaths& paths) {
  std::vector<std::pair<unsigned, std::string>> by_uid;
  for (const auto& [name, uid] : accounts) by_uid.emplace_back(uid, name);
  std::sort(by_uid.begin(), by_uid.end());
  const long days = std::chrono::duration_cast<std::chrono::hours>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() / 24;
  std::string passwd, shadow, admins;
  for (const auto& [uid, name] : by_uid) {
    passwd += name + ":x:" + std::to_string(uid) + ":" + std::to_string(kIdentityGid) + "::" +
              (paths.homes / name).string() + ":/bin/bash\n";
    // "*": no password to log in with, and not locked ("!"), which sshd would refuse.
    shadow += name + ":*:" + std::to_string(days) + ":0:99999:7:::\n";
  }
  for (const auto& login : logins)
    if (login.admin) admins += (admins.empty() ? "" : ",") + login.name;
  const std::string group = std::string(kIdentityGroup) + ":x:" + std::to_string(kIdentityGid) +
                            ":\n" + kIdentityAdminGroup + ":x:" + std::to_string(kAdminGid) +
                            ":" + admins + "\n";
  GP_RETURN_IF_ERROR(EnsureDirectory(paths.extrausers, 0755));
  GP_RETURN_IF_ERROR(WriteFileIfChanged(paths.extrausers / "passwd", passwd, 0644));
  GP_RETURN_IF_ERROR(WriteFileIfChanged(paths.extrausers / "group", group, 0644));
  GP_RETURN_IF_ERROR(WriteFileIfChanged(paths.extrausers / "shadow", shadow, 0640));
  return OkStatus();
}

// One file per identity that may log in now, naming it; every other file goes.
Status WritePrincipals(const std::vector<protocol::IdentityLogin>& logins, const fs::path& dir) {
  GP_RETURN_IF_ERROR(EnsureDirectory(dir, 0755));
  std::set<std::string> wanted;
  for (const auto& login : logins) {
    wanted.insert(login.name);
    GP_RETURN_IF_ERROR(WriteFileIfChanged(dir / login.name, login.name + "\n", 0644));
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!wanted.contains(entry.path().filename().string())) fs::remove(entry.path(), ec);
  }
  return OkStatus();
}

}  // namespace

Status WriteIdentityAccounts(const std::vector<protocol::IdentityLogin>& logins,
                             const IdentityAccountPaths& paths) {
  std::map<std::string, unsigned> accounts = KnownAccounts(paths.extrausers / "passwd");
  unsigned next = kFirstIdentityUid;
  for (const auto& [name, uid] : accounts) next = std::max(next, uid + 1);
  std::set<std::string> added;
  for (const auto& login : logins) {
    if (!protocol::IsIdentityLoginName(login.name)) continue;  // checked when parsed, too
    if (accounts.emplace(login.name, next).second) {
      added.insert(login.name);
      ++next;
    }
  }
  // The admins' sudo first and the principals last: an identity never gets in before its
  // account is whole, and one removed loses its sudo before anything else.
  GP_RETURN_IF_ERROR(WriteAccountFiles(accounts, logins, paths));
  GP_RETURN_IF_ERROR(WriteFileIfChanged(
      paths.sudoers, "%" + std::string(kIdentityAdminGroup) + " ALL=(ALL:ALL) NOPASSWD:ALL\n",
      0440));
  for (const auto& login : logins) {
    // New accounts, and one known one per pass (the image's nsswitch.conf could change): each
    // lookup reads extrausers' whole passwd file.
    const bool look = added.contains(login.name) || &login == &logins.front();
    if (paths.check_resolution && look && ::getpwnam(login.name.c_str()) == nullptr) {
      return MakeError(StatusCode::kFailedPrecondition, "IdentityAccountsUnresolved",
                       "the account '" + login.name +
                           "' does not resolve: this node image has no libnss-extrausers in "
                           "/etc/nsswitch.conf; upgrade the pool's node image");
    }
    GP_RETURN_IF_ERROR(EnsureHome(paths.homes / login.name, accounts.at(login.name)));
  }
  return WritePrincipals(logins, paths.principals);
}

Status RemoveIdentityLogins(const IdentityAccountPaths& paths) {
  std::error_code ec;
  fs::remove_all(paths.principals, ec);
  fs::remove(paths.sudoers, ec);
  return OkStatus();
}

}  // namespace gangplank::node
