// Renderers for json/table/tsv/yaml; YAML goes through yaml-cpp so quoting is always right.
#include "cli/output.h"

#include <yaml-cpp/yaml.h>

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/yaml_types.h"
#include "common/python_json.h"
#include "common/text.h"

namespace gangplank::cli {
namespace json = boost::json;

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

// A scalar as Python's str() writes it, which is what az's table and TSV cells show: True,
// False, None, -1.0.
std::string PythonText(const json::value& value) {
  if (value.is_string()) return CellText(value.get_string());
  if (value.is_null()) return "None";
  if (value.is_bool()) return value.get_bool() ? "True" : "False";
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

// An object's members, sorted by key or in their own order.
std::vector<const json::key_value_pair*> Members(const json::object& object, bool sorted) {
  if (sorted) return SortedMembers(object);
  std::vector<const json::key_value_pair*> members;
  for (const json::key_value_pair& member : object) members.push_back(&member);
  return members;
}

// A table row as knack (az's output library) makes one: an object's scalar members that are not
// null, but id, type and etag; a list's items as Column1, Column2, …; anything else as Result.
std::vector<std::pair<std::string, std::string>> TableRow(const json::value& item, bool sorted) {
  std::vector<std::pair<std::string, std::string>> row;
  if (const auto* object = item.if_object()) {
    for (const json::key_value_pair* member : Members(*object, sorted)) {
      const std::string_view key = member->key();
      if (key == "id" || key == "type" || key == "etag") continue;
      if (member->value().is_null() || !IsScalar(member->value())) continue;
      row.emplace_back(ColumnTitle(key), PythonText(member->value()));
    }
  } else if (const auto* cells = item.if_array()) {
    for (std::size_t i = 0; i < cells->size(); ++i)
      row.emplace_back("Column" + std::to_string(i + 1),
                       IsScalar((*cells)[i]) ? PythonText((*cells)[i]) : CompactJson((*cells)[i]));
  } else {
    row.emplace_back("Result", PythonText(item));
  }
  return row;
}

// az's table (tabulate's "simple" format): the columns are every row's keys in the order they
// first appear, each as wide as its widest cell or its title and two more, two spaces apart.
std::string RenderTable(const json::value& value, bool sorted) {
  if (value.is_null()) return "";  // a query that found nothing: no table at all
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) rows.push_back(TableRow(element, sorted));
  } else {
    rows.push_back(TableRow(value, sorted));
  }
  std::vector<std::string> columns;
  for (const auto& row : rows)
    for (const auto& [title, cell] : row)
      if (std::find(columns.begin(), columns.end(), title) == columns.end()) columns.push_back(title);
  if (columns.empty()) return "";
  std::vector<std::size_t> widths;  // a title gets two spaces more (tabulate's MIN_PADDING)
  for (const auto& column : columns) widths.push_back(CodePointCount(column) + 2);
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    auto& line = cells.emplace_back(columns.size());
    for (const auto& [title, cell] : row) {
      const std::size_t i = static_cast<std::size_t>(
          std::find(columns.begin(), columns.end(), title) - columns.begin());
      line[i] = cell;
      widths[i] = std::max(widths[i], CodePointCount(cell));
    }
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i != 0) line += "  ";
      line += fields[i];
      line.append(widths[i] - CodePointCount(fields[i]), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);  // tabulate ends no line with spaces
    out += line + "\n";
  };
  std::vector<std::string> rules;
  for (const std::size_t width : widths) rules.emplace_back(width, '-');
  append_row(columns);
  append_row(rules);
  for (const auto& line : cells) append_row(line);
  return out;
}

// A TSV cell as knack writes one: a list is its length, an object nothing, a scalar Python's
// str() of it.
std::string TsvCell(const json::value& value) {
  if (const auto* array = value.if_array()) return std::to_string(array->size());
  if (value.is_object()) return "";
  return PythonText(value);
}

// knack's TSV: a row per item of a list (or one for anything else); an object's values sorted by
// key (a multiselect hash's in its own order), a list's in order; a bare boolean lower-case.
std::string RenderTsv(const json::value& value, bool multiselect) {
  if (value.is_null()) return "";  // az prints nothing for a result of None
  std::string out;
  const auto row = [&](const json::value& item) {
    std::string line;
    if (const auto* object = item.if_object()) {
      bool first = true;
      for (const json::key_value_pair* member : Members(*object, !multiselect)) {
        line += (first ? "" : "\t") + TsvCell(member->value());
        first = false;
      }
    } else if (const auto* array = item.if_array()) {
      for (std::size_t i = 0; i < array->size(); ++i)
        line += (i == 0 ? "" : "\t") + TsvCell((*array)[i]);
    } else if (item.is_bool()) {
      line = item.get_bool() ? "true" : "false";
    } else {
      line = TsvCell(item);
    }
    out += line + "\n";
  };
  if (const auto* array = value.if_array()) {
    for (const auto& element : *array) row(element);
  } else {
    row(value);
  }
  return out;
}

// True when a YAML 1.1 reader would take this plain scalar for something other than a string:
// PyYAML's implicit resolvers, which decide what az quotes; and y/n, which Go's yaml.v2 reads as
// booleans.
bool ResolvesToNonString(const std::string& text) {
  return ResolvePlainYaml(text) != YamlPlain::kString || text == "y" || text == "Y" ||
         text == "n" || text == "N";
}

// A key or a string value. yaml-cpp leaves "true", "yes", "123" unquoted, and YAML readers would
// turn them into a boolean or a number: such strings are single-quoted, as PyYAML (and so az)
// quotes them. yaml-cpp escapes C0 controls itself; C1 and bidirectional controls only when told
// to escape every non-ASCII character (\u escapes in a double-quoted scalar: the same text).
void EmitYamlString(std::string_view given, YAML::Emitter& out) {
  const std::string text = ValidUtf8(given);
  const bool escaped = TerminalSafe(text, Escapes::kJsonString) != text;
  if (escaped) {
    out << YAML::EscapeNonAscii;
  } else if (ResolvesToNonString(text)) {
    out << YAML::SingleQuoted;
  }
  out << text;
}

// A scalar, or an empty mapping or sequence ({} and []: what WriteYamlBlock does not lay out).
void EmitYaml(const json::value& value, YAML::Emitter& out) {
  switch (value.kind()) {
    case json::kind::object:
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      break;
    case json::kind::array:
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
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

bool IsEmptyContainer(const json::value& value) {
  return (value.is_object() && value.get_object().empty()) ||
         (value.is_array() && value.get_array().empty());
}

// One scalar, or an empty {} or [], as it stands after "key: " or "- ": yaml-cpp writes it alone,
// quoted as EmitYamlString decides; a string with a line break double-quoted with \n escapes,
// so that it stays on its line (PyYAML folds it over lines in single quotes: the same string).
std::string YamlScalar(const json::value& value) {
  YAML::Emitter emitter;
  emitter.SetNullFormat(YAML::LowerNull);  // "null", as az (PyYAML) writes it, not "~"
  if (value.is_string() && value.get_string().find_first_of("\r\n") != json::string::npos)
    emitter << YAML::DoubleQuoted;
  EmitYaml(value, emitter);
  return emitter.c_str();
}

// A non-empty mapping or sequence in PyYAML's block layout (safe_dump, default_flow_style=False):
// keys sorted, nested mappings two spaces in, sequences under a key not indented ("key:\n- a"),
// a mapping or sequence in a sequence starting on the "- " line.
void WriteYamlBlock(const json::value& value, std::size_t indent, std::string& out) {
  const std::string pad(indent, ' ');
  const auto nested = [](const json::value& member) {
    return !IsScalar(member) && !IsEmptyContainer(member);
  };
  if (const json::object* object = value.if_object()) {
    for (const json::key_value_pair* member : SortedMembers(*object)) {
      out += pad + YamlScalar(json::value(member->key())) + ":";
      if (!nested(member->value())) {
        out += " " + YamlScalar(member->value()) + "\n";
      } else {
        out += "\n";
        WriteYamlBlock(member->value(), member->value().is_object() ? indent + 2 : indent, out);
      }
    }
    return;
  }
  for (const json::value& item : value.as_array()) {
    if (!nested(item)) {
      out += pad + "- " + YamlScalar(item) + "\n";
      continue;
    }
    std::string inner;
    WriteYamlBlock(item, indent + 2, inner);
    out += pad + "- " + inner.substr(indent + 2);  // the first line starts after "- "
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

std::string RenderOutput(const json::value& value, OutputFormat format, RenderHints hints) {
  switch (format) {
    case OutputFormat::kJson: {
      std::string out;
      RenderJson(value, out, 0);
      return out + "\n";
    }
    case OutputFormat::kTable:
      return RenderTable(value, !hints.query_active);
    case OutputFormat::kTsv:
      return RenderTsv(value, hints.multiselect);
    case OutputFormat::kYaml: {
      std::string out;
      if (IsScalar(value) || IsEmptyContainer(value)) {
        out = YamlScalar(value) + "\n";
        if (IsScalar(value)) out += "...\n";  // PyYAML ends a lone scalar's document so
      } else {
        WriteYamlBlock(value, 0, out);
      }
      return out;
    }
    case OutputFormat::kNone:
      return {};
  }
  return {};
}

}  // namespace gangplank::cli
