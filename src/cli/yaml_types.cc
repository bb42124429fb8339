// PyYAML's implicit resolvers (yaml/resolver.py), written out as small scanners.
#include "cli/yaml_types.h"

#include <array>
#include <cctype>

namespace gangplank::cli {
namespace {

// A cursor over the text; each scanner consumes what it matches and says whether it did.
struct Scan {
  std::string_view text;
  std::size_t at = 0;

  bool End() const { return at == text.size(); }
  bool Take(char c) {
    if (End() || text[at] != c) return false;
    ++at;
    return true;
  }
  bool TakeAny(std::string_view set) {
    if (End() || set.find(text[at]) == std::string_view::npos) return false;
    ++at;
    return true;
  }
  bool TakeWord(std::string_view word) {
    if (text.substr(at, word.size()) != word) return false;
    at += word.size();
    return true;
  }
  // At least `least` characters of `set`.
  bool TakeRun(std::string_view set, std::size_t least) {
    std::size_t count = 0;
    while (TakeAny(set)) ++count;
    return count >= least;
  }
};

constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kDigitsOr_ = "0123456789_";

bool Whole(std::string_view text, bool (*scanner)(Scan&)) {
  Scan scan{text};
  return scanner(scan) && scan.End();
}

// (:[0-5]?[0-9])+
bool Sexagesimal(Scan& s) {
  std::size_t groups = 0;
  while (s.Take(':')) {
    const bool two = s.at + 1 < s.text.size() && s.text[s.at] >= '0' && s.text[s.at] <= '5' &&
                     std::isdigit(static_cast<unsigned char>(s.text[s.at + 1]));
    if (two) s.at += 1;
    if (!s.TakeAny(kDigits)) return false;
    ++groups;
  }
  return groups > 0;
}

bool Exponent(Scan& s) {  // ([eE][-+][0-9]+)?
  const std::size_t start = s.at;
  if (s.TakeAny("eE") && s.TakeAny("-+") && s.TakeRun(kDigits, 1)) return true;
  s.at = start;
  return true;
}

bool Int(Scan& s) {
  s.TakeAny("-+");
  const std::size_t start = s.at;
  if (s.TakeWord("0b")) return s.TakeRun("01_", 1);
  if (s.TakeWord("0x")) return s.TakeRun("0123456789abcdefABCDEF_", 1);
  if (s.Take('0')) return s.End() || s.TakeRun("01234567_", 1);
  s.at = start;
  if (!s.TakeAny("123456789")) return false;
  s.TakeRun(kDigitsOr_, 0);
  if (!s.End() && s.text[s.at] == ':') return Sexagesimal(s);
  return true;
}

bool Float(Scan& s) {
  const std::string_view rest = s.text;
  if (rest == ".nan" || rest == ".NaN" || rest == ".NAN") return s.at = rest.size(), true;
  if (!s.End() && s.text[s.at] == '.' && s.at + 1 < s.text.size() &&
      std::isdigit(static_cast<unsigned char>(s.text[s.at + 1]))) {  // .5, no sign
    s.Take('.');
    return s.TakeRun(kDigitsOr_, 1) && Exponent(s);
  }
  s.TakeAny("-+");
  for (std::string_view infinity : {".inf", ".Inf", ".INF"})
    if (s.TakeWord(infinity)) return true;
  if (!s.TakeAny(kDigits)) return false;
  s.TakeRun(kDigitsOr_, 0);
  if (!s.End() && s.text[s.at] == ':' && !Sexagesimal(s)) return false;
  return s.Take('.') && s.TakeRun(kDigitsOr_, 0) && Exponent(s);
}

// 2001-12-14, or 2001-12-14t21:59:43.10-05:00 and its relatives.
bool Timestamp(Scan& s) {
  const auto digits = [&s](std::size_t least, std::size_t most) {
    std::size_t count = 0;
    while (count < most && s.TakeAny(kDigits)) ++count;
    return count >= least;
  };
  if (!digits(4, 4) || !s.Take('-')) return false;
  const std::size_t month = s.at;
  if (digits(2, 2) && s.Take('-') && digits(2, 2) && s.End()) return true;
  s.at = month;
  if (!digits(1, 2) || !s.Take('-') || !digits(1, 2)) return false;
  if (!s.TakeAny("Tt") && !s.TakeRun(" \t", 1)) return false;
  if (!digits(1, 2) || !s.Take(':') || !digits(2, 2) || !s.Take(':') || !digits(2, 2)) return false;
  if (s.Take('.')) digits(0, static_cast<std::size_t>(-1));
  s.TakeRun(" \t", 0);
  if (s.Take('Z')) return true;
  if (s.TakeAny("-+")) {
    if (!digits(1, 2)) return false;
    if (s.Take(':') && !digits(2, 2)) return false;
  }
  return true;
}

}  // namespace

YamlPlain ResolvePlainYaml(std::string_view text) {
  static constexpr std::array<std::string_view, 18> kBools = {
      "yes", "Yes", "YES", "no",    "No",    "NO",    "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return YamlPlain::kNull;
  for (std::string_view word : kBools)
    if (text == word) return YamlPlain::kBool;
  if (text == "<<" || text == "=") return YamlPlain::kSpecial;
  if (Whole(text, Int)) return YamlPlain::kInt;
  if (Whole(text, Float)) return YamlPlain::kFloat;
  if (Whole(text, Timestamp)) return YamlPlain::kTimestamp;
  return YamlPlain::kString;
}

}  // namespace gangplank::cli
