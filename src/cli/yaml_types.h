// What a plain YAML scalar means to a YAML 1.1 reader: PyYAML's implicit resolvers, which decide
// both how az quotes strings in its YAML output and how it reads a kubeconfig.
#pragma once

#include <string_view>

namespace gangplank::cli {

enum class YamlPlain { kString, kNull, kBool, kInt, kFloat, kTimestamp, kSpecial /* << and = */ };

// The type PyYAML (yaml.safe_load) gives `text` written as a plain scalar.
YamlPlain ResolvePlainYaml(std::string_view text);

}  // namespace gangplank::cli
