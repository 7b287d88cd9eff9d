#pragma once
// A YAML node that knows where it came from (file, line, field path), so that every error it
// raises names them. All numeric reads go through the unit parser.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "csfpk/core/units.hpp"

namespace csfpk {

// The "file" named by errors in command-line overrides (`--set PATH=VALUE`).
inline constexpr const char* kOverrideFile = "--set";

struct YamlSource {
  std::string file;
  std::set<std::string> overridden_paths;  // fields replaced by --set: reported as such
};

class YamlNode {
 public:
  YamlNode(YAML::Node node, std::shared_ptr<const YamlSource> source, std::string path);

  // Parses a whole file (InputError for unreadable or malformed YAML, with its line).
  static YamlNode load_file(const std::string& path);
  static YamlNode load_string(const std::string& text, std::shared_ptr<const YamlSource> source);

  const std::string& path() const { return path_; }
  int line() const;  // 1-based; 0 when unknown
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  const YAML::Node& raw() const { return node_; }

  // Map access. `at` requires the key; `find` returns nullopt when it is absent.
  YamlNode at(const std::string& key) const;
  std::optional<YamlNode> find(const std::string& key) const;
  // Rejects keys outside `allowed`, suggesting the closest one.
  void allow_only(const std::vector<std::string>& allowed) const;
  std::vector<std::pair<std::string, YamlNode>> entries() const;  // a map's entries, in order
  std::vector<YamlNode> items() const;                            // a sequence's items

  std::string text() const;                          // any scalar
  double quantity(units::Dimension expected) const;  // "0.5 mL/day" → internal units
  double positive_quantity(units::Dimension expected) const;
  double non_negative_quantity(units::Dimension expected) const;
  double number() const;  // a plain finite number
  int integer() const;
  bool boolean() const;
  double clock_time() const;  // "09:00" → 9 h

  [[noreturn]] void fail(const std::string& message) const;

 private:
  YAML::Node node_;
  std::shared_ptr<const YamlSource> source_;
  std::string path_;
};

// The text of a regular file of at most 16 MiB, read without going past that cap. InputError for
// a missing file, a folder, a device or FIFO (endless or blocking), or a larger file; `what` names
// the file in messages ("scenario file").
std::string read_text_file(const std::string& path, std::string_view what);

// Applies one command-line override "a.b.0.c=value" (the value is YAML) to a parsed tree in
// place and returns the YamlNode-style path it set ("a.b[0].c"), so that errors in that field can
// say they came from --set. `example` is shown when the assignment is malformed.
std::string apply_yaml_override(YAML::Node root, const std::string& assignment,
                                std::string_view example);

}  // namespace csfpk
