// Renderers for json/table/tsv/yaml; YAML goes through yaml-cpp so quoting is always right.
#include "cli/output.h"

#include <strings.h>
#include <yaml-cpp/yaml.h>

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "common/text.h"

namespace gangplank::cli {
namespace json = boost::json;

// A double as Python's repr() writes it (and so az prints it): the shortest digits that read
// back the same, in positional notation for exponents from -4 to 15 (100000.0, 0.0001, 2.0) and
// in scientific notation outside them (1e+16, 1.5e-05).
std::string PythonFloat(double value) {
  if (!std::isfinite(value)) return "null";  // JSON has no form for them
  char buffer[64];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value,
                                       std::chars_format::scientific);
  const std::string scientific(buffer, ec == std::errc() ? end : buffer);
  const std::size_t e = scientific.find('e');
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 16) return scientific;
  const bool negative = scientific[0] == '-';
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i)
    if (scientific[i] != '.') digits.push_back(scientific[i]);
  std::string out = negative ? "-" : "";
  if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= whole) {
      out += digits + std::string(whole - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, whole) + "." + digits.substr(whole);
    }
  }
  return out;
}

// A JSON string literal that always parses (bytes that are not UTF-8 become U+FFFD) and is safe on
// a terminal: the serializer escapes C0 controls, C1 and bidirectional controls become \u escapes.
std::string JsonString(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return json::serialize(json::string(text));
  return TerminalSafe(json::serialize(json::string(ValidUtf8(text))), Escapes::kJsonString);
}

std::string CompactJson(const json::value& value) {
  if (value.is_double()) return PythonFloat(value.get_double());
  if (const auto* array = value.if_array()) {
    std::string out = "[";
    for (const auto& element : *array) out += (out.size() > 1 ? "," : "") + CompactJson(element);
    return out + "]";
  }
  if (const auto* object = value.if_object()) {
    std::string out = "{";
    for (const auto& [key, member] : *object) {
      out += (out.size() > 1 ? "," : "") + JsonString(key) + ":" +
             CompactJson(member);
    }
    return out + "}";
  }
  if (value.is_string()) return JsonString(value.get_string());
  return json::serialize(value);
}

namespace {

// An object's members by key, as az prints JSON and YAML (Python's sort_keys: code point order,
// which is UTF-8 byte order).
std::vector<const json::key_value_pair*> SortedMembers(const json::object& object) {
  std::vector<const json::key_value_pair*> members;
  for (const json::key_value_pair& member : object) members.push_back(&member);
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
    return a->key() < b->key();
  });
  return members;
}

void RenderJson(const json::value& value, std::string& out, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
  const std::string close_pad(static_cast<std::size_t>(indent), ' ');
  if (const auto* object = value.if_object()) {
    if (object->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const json::key_value_pair* member : SortedMembers(*object)) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      out += JsonString(member->key());
      out += ": ";
      RenderJson(member->value(), out, indent + 2);
    }
    out += "\n" + close_pad + "}";
  } else if (const auto* array = value.if_array()) {
    if (array->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& element : *array) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      RenderJson(element, out, indent + 2);
    }
    out += "\n" + close_pad + "]";
  } else {
    out += CompactJson(value);
  }
}

bool IsScalar(const json::value& value) { return !value.is_object() && !value.is_array(); }

// Table and TSV cells go to terminals and to `cut`/`awk`: control characters are escaped, tabs
// too, which would otherwise split a TSV cell in two.
std::string CellText(std::string_view text) { return TerminalSafe(text); }

std::string ScalarText(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_null()) return "";
  return CompactJson(value);
}

// "fingerprintSha256" → "FingerprintSha256", as az titles its table columns (keys such as tag
// names come from the server: escaped like cells).
std::string ColumnTitle(std::string_view key) {
  std::string title = CellText(key);
  if (!title.empty() && title[0] >= 'a' && title[0] <= 'z')
    title[0] = static_cast<char>(title[0] - 32);
  return title;
}

// Table and TSV rows, as az makes them: an object is a row; in a list, an object is a row, a
// scalar a one-cell row ("Result"), and a list (a multiselect like [name, count]) a row of
// Column1, Column2, ….
std::vector<json::object> Rows(const json::value& value) {
  std::vector<json::object> rows;
  const auto add = [&rows](const json::value& element) {
    if (const auto* object = element.if_object()) {
      rows.push_back(*object);
    } else if (const auto* cells = element.if_array()) {
      json::object row;
      for (std::size_t i = 0; i < cells->size(); ++i)
        row["Column" + std::to_string(i + 1)] = (*cells)[i];
      rows.push_back(std::move(row));
    } else {
      rows.push_back(json::object{{"Result", element}});
    }
  };
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) add(element);
  } else {
    add(value);
  }
  return rows;
}

std::vector<std::string> Columns(const std::vector<json::object>& rows) {
  std::vector<std::string> columns;
  if (rows.empty()) return columns;
  for (const auto& [key, member] : rows.front()) {
    if (IsScalar(member)) columns.emplace_back(key);
  }
  return columns;
}

std::string RenderTable(const json::value& value) {
  if (value.is_null()) return "";  // a query that found nothing: no table at all
  const auto rows = Rows(value);
  const auto columns = Columns(rows);
  if (columns.empty()) return "";
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(ColumnTitle(column).size());
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    auto& line = cells.emplace_back();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto* member = row.if_contains(columns[i]);
      line.push_back(member && IsScalar(*member) ? CellText(ScalarText(*member)) : "");
      widths[i] = std::max(widths[i], CodePointCount(line.back()));
    }
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i != 0) line += "  ";
      line += fields[i];
      if (i + 1 != fields.size()) line.append(widths[i] - CodePointCount(fields[i]), ' ');
    }
    out += line + "\n";
  };
  std::vector<std::string> titles;
  std::vector<std::string> rules;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    titles.push_back(ColumnTitle(columns[i]));
    rules.emplace_back(widths[i], '-');
  }
  append_row(titles);
  append_row(rules);
  for (const auto& line : cells) append_row(line);
  return out;
}

std::string RenderTsv(const json::value& value) {
  if (value.is_null()) return "";
  if (IsScalar(value)) return CellText(ScalarText(value)) + "\n";
  std::string out;
  for (const auto& row : Rows(value)) {
    bool first = true;
    for (const auto& [key, member] : row) {
      if (!IsScalar(member)) continue;
      if (!first) out.push_back('\t');
      first = false;
      out += CellText(ScalarText(member));
    }
    out.push_back('\n');
  }
  return out;
}

bool ResolvesToNonString(const std::string& text) {
  static const char* const kSpecial[] = {"",   "~",   "null", "true", "false", "yes",   "no",
                                         "on", "off", "y",    "n",    ".inf",  "-.inf", ".nan"};
  for (const char* special : kSpecial) {
    if (strcasecmp(text.c_str(), special) == 0) return true;
  }
  // YAML 1.1 readers (PyYAML among them) also turn dates, times like 1:20, 1_000, 0b101, 0x1f
  // and 017 into other types, and read << and = as special keys. Anything that starts like a
  // number, or is one of those two, is quoted: quoting a string too often is harmless.
  const char first = text[0];
  return std::isdigit(static_cast<unsigned char>(first)) || first == '+' || first == '-' ||
         first == '.' || text == "<<" || text == "=";
}

// A key or a string value. yaml-cpp leaves "true", "yes", "123" unquoted, and YAML readers would
// turn them into a boolean or a number: such strings are quoted. It escapes C0 controls itself;
// C1 and bidirectional controls only when told to escape every non-ASCII character (\u escapes
// in a double-quoted scalar: the same text).
void EmitYamlString(std::string_view given, YAML::Emitter& out) {
  const std::string text = ValidUtf8(given);
  if (ResolvesToNonString(text)) out << YAML::DoubleQuoted;
  if (TerminalSafe(text, Escapes::kJsonString) != text) out << YAML::EscapeNonAscii;
  out << text;
}

void EmitYaml(const json::value& value, YAML::Emitter& out) {
  switch (value.kind()) {
    case json::kind::object:
      if (value.get_object().empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const json::key_value_pair* member : SortedMembers(value.get_object())) {
        out << YAML::Key;
        EmitYamlString(member->key(), out);
        out << YAML::Value;
        EmitYaml(member->value(), out);
      }
      out << YAML::EndMap;
      break;
    case json::kind::array:
      if (value.get_array().empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& element : value.get_array()) EmitYaml(element, out);
      out << YAML::EndSeq;
      break;
    case json::kind::string:
      EmitYamlString(value.get_string(), out);
      break;
    case json::kind::bool_:
      out << value.get_bool();
      break;
    case json::kind::null:
      out << YAML::Null;
      break;
    default: {
      std::string number = CompactJson(value);
      // YAML 1.1 floats need a dot: PyYAML reads 1e+16 as a string, 1.0e+16 as the number.
      if (value.is_double() && number.find('.') == std::string::npos) {
        const std::size_t e = number.find('e');
        if (e != std::string::npos) number.insert(e, ".0");
      }
      out << number;
      break;
    }
  }
}

}  // namespace

// az's formats, as az reads them (case-insensitive). jsonc and yamlc are az's coloured json and
// yaml; here they print the same text without colours.
Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  static const std::pair<std::string_view, OutputFormat> kFormats[] = {
      {"json", OutputFormat::kJson}, {"jsonc", OutputFormat::kJson},
      {"table", OutputFormat::kTable}, {"tsv", OutputFormat::kTsv},
      {"yaml", OutputFormat::kYaml}, {"yamlc", OutputFormat::kYaml},
      {"none", OutputFormat::kNone}};
  for (const auto& [known, format] : kFormats)
    if (strncasecmp(known.data(), name.data(), known.size()) == 0 && known.size() == name.size())
      return format;
  return MakeError(StatusCode::kInvalidArgument, "InvalidOutputFormat",
                   "output format \"" + std::string(name.substr(0, 40)) +
                       "\" is not known; use json, jsonc, table, tsv, yaml, yamlc or none");
}

std::string RenderOutput(const json::value& value, OutputFormat format) {
  switch (format) {
    case OutputFormat::kJson: {
      std::string out;
      RenderJson(value, out, 0);
      return out + "\n";
    }
    case OutputFormat::kTable:
      return RenderTable(value);
    case OutputFormat::kTsv:
      return RenderTsv(value);
    case OutputFormat::kYaml: {
      YAML::Emitter emitter;
      EmitYaml(value, emitter);
      return std::string(emitter.c_str()) + "\n";
    }
    case OutputFormat::kNone:
      return {};
  }
  return {};
}

}  // namespace gangplank::cli
