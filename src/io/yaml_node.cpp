#include "io/yaml_node.hpp"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"

namespace csfpk {

YamlNode::YamlNode(YAML::Node node, std::shared_ptr<const YamlSource> source, std::string path)
    : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {}

namespace {

constexpr std::size_t kMaxTextBytes = 16u << 20;

// Line (1-based) of byte `offset` in `text`.
int line_of(const std::string& text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(),
                                         text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// Offset of the first byte that is not part of well-formed UTF-8 text (or is NUL), npos if none.
std::size_t first_non_text_byte(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return i;
    }
    if (i + extra >= text.size()) return i;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    i += extra + 1;
  }
  return std::string::npos;
}

}  // namespace

namespace {

// The line (1-based) of a document marker ("---" or "...") that has content after it, other than
// one "---" opening the file, or 0. YAML::Load reads only the first document, and a second one
// would be dropped silently; yaml-cpp's LoadAll, which would see it, can loop forever on some
// malformed input (found by fuzzing), so the markers are found in the text: at column 0 they
// can only be document markers, even inside a block or quoted scalar.
int second_document_line(const std::string& text) {
  const auto is_marker = [](std::string_view line, std::string_view marker) {
    return line.substr(0, 3) == marker &&
           (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
  };
  const auto is_content = [](std::string_view line) {
    const auto first = line.find_first_not_of(" \t\r");
    return first != std::string_view::npos && line[first] != '#';
  };
  bool seen_content = false;
  int marker_line = 0;
  int number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    ++number;
    if (is_marker(line, "---") || is_marker(line, "...")) {
      // Content on the marker's own line ("--- {a: 1}") is that document's content.
      if (seen_content) {
        if (marker_line == 0) marker_line = number;
        if (is_content(line.substr(3))) return marker_line;
      } else if (is_content(line.substr(3))) {
        seen_content = true;
      }
    } else if (is_content(line)) {
      if (marker_line > 0) return marker_line;
      seen_content = true;
    }
    start = end + 1;
  }
  return 0;
}

}  // namespace

YamlNode YamlNode::load_string(const std::string& text, std::shared_ptr<const YamlSource> source) {
  if (text.size() > kMaxTextBytes) {
    throw InputError(source->file, 0, "",
                     "the file is larger than 16 MiB; a scenario is a small text file");
  }
  if (const std::size_t bad = first_non_text_byte(text); bad != std::string::npos) {
    throw InputError(source->file, line_of(text, bad), "",
                     "not a YAML text file: " +
                         std::string(text[bad] == '\0' ? "contains a NUL byte"
                                                       : "contains bytes that are not UTF-8 text"));
  }
  try {
    YAML::Node root = YAML::Load(text);
    if (const int line = second_document_line(text); line > 0) {
      throw InputError(source->file, line, "",
                       "a second YAML document starts here; a file holds one document (remove "
                       "the '---' separator or split the file)");
    }
    if (!root.IsMap()) {
      throw InputError(source->file, root.IsDefined() ? root.Mark().line + 1 : 0, "",
                       "expected a YAML mapping of fields at the top level");
    }
    return YamlNode(root, std::move(source), "");
  } catch (const YAML::DeepRecursion& e) {
    throw InputError(
        source->file, e.mark.line + 1, "",
        "malformed YAML: nested more than " + std::to_string(e.depth() - 1) + " levels deep");
  } catch (const YAML::Exception& e) {
    throw InputError(source->file, e.mark.line + 1, "", "malformed YAML: " + e.msg);
  }
}

std::string read_text_file(const std::string& path, std::string_view what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw InputError(path, 0, "", "cannot open the " + std::string(what) + ": no such file");
  // A device, FIFO or socket can be endless (/dev/zero) or block until a writer comes: refuse
  // anything but a regular file before opening it.
  if (!fs::is_regular_file(status)) {
    throw InputError(path, 0, "",
                     "cannot read the " + std::string(what) + ": " +
                         (fs::is_directory(status) ? "it is a folder" : "not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open the " + std::string(what));
  // In chunks, so that a small file costs a small buffer and a large one stops at the cap.
  std::string text;
  std::array<char, 65536> chunk{};
  while (text.size() <= kMaxTextBytes && in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > kMaxTextBytes) {
    throw InputError(
        path, 0, "",
        "the file is larger than 16 MiB; a " + std::string(what) + " is a small text file");
  }
  return text;
}

YamlNode YamlNode::load_file(const std::string& path) {
  auto source = std::make_shared<YamlSource>();
  source->file = path;
  return load_string(read_text_file(path, "file"), std::move(source));
}

int YamlNode::line() const {
  if (source_->overridden_paths.count(path_) > 0) return 0;
  const YAML::Mark mark = node_.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

void YamlNode::fail(const std::string& message) const {
  if (source_->overridden_paths.count(path_) > 0) {
    throw InputError(kOverrideFile, 0, path_, message);
  }
  throw InputError(source_->file, line(), path_, message);
}

namespace {
std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}
}  // namespace

std::optional<YamlNode> YamlNode::find(const std::string& key) const {
  if (!node_.IsMap()) fail("expected a mapping of fields");
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return YamlNode(entry.second, source_, child_path(path_, key));
    }
  }
  return std::nullopt;
}

YamlNode YamlNode::at(const std::string& key) const {
  auto child = find(key);
  if (!child) fail("missing required field '" + key + "'");
  if (child->node_.IsNull()) child->fail("has no value");
  return *child;
}

void YamlNode::allow_only(const std::vector<std::string>& allowed) const {
  if (!node_.IsMap()) {
    fail("expected a mapping of fields (" + join_alternatives(allowed) + ")" +
         (node_.IsScalar() ? ", got '" + node_.Scalar() + "'" : std::string()) +
         "; see docs/scenario-reference.md");
  }
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    YamlNode key_node(entry.first, source_, child_path(path_, key));
    if (!entry.first.IsScalar()) key_node.fail("field names must be plain words");
    if (!seen.insert(key).second) key_node.fail("appears twice");
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string suggestion = closest_match(key, allowed);
    key_node.fail("unknown field" + (suggestion.empty()
                                         ? "; expected one of " + join_alternatives(allowed)
                                         : "; did you mean '" + suggestion + "'?"));
  }
}

std::vector<std::pair<std::string, YamlNode>> YamlNode::entries() const {
  if (!node_.IsMap()) fail("expected a mapping of names to values");
  std::vector<std::pair<std::string, YamlNode>> out;
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    YamlNode value(entry.second, source_, child_path(path_, key));
    if (key.empty()) value.fail("names must be plain words");
    if (!seen.insert(key).second) value.fail("appears twice");
    out.emplace_back(key, std::move(value));
  }
  return out;
}

std::vector<YamlNode> YamlNode::items() const {
  if (!node_.IsSequence()) fail("expected a list");
  std::vector<YamlNode> out;
  std::size_t i = 0;
  for (const auto& item : node_) {
    out.emplace_back(item, source_, path_ + "[" + std::to_string(i++) + "]");
  }
  return out;
}

std::string YamlNode::text() const {
  if (!node_.IsScalar()) fail("expected a single value");
  return node_.Scalar();
}

double YamlNode::quantity(units::Dimension expected) const {
  const std::string value = text();
  try {
    return units::parse_as(value, expected);
  } catch (const UnitError& e) {
    const std::string message = e.what();
    fail(message.find("got '") == std::string::npos ? message + " (got '" + value + "')" : message);
  }
}

double YamlNode::positive_quantity(units::Dimension expected) const {
  const double v = quantity(expected);
  if (!(v > 0.0)) fail("must be greater than zero, got '" + text() + "'");
  return v;
}

double YamlNode::non_negative_quantity(units::Dimension expected) const {
  const double v = quantity(expected);
  if (v < 0.0) fail("must not be negative, got '" + text() + "'");
  return v;
}

double YamlNode::number() const {
  return quantity(units::kDimensionless);
}

int YamlNode::integer() const {
  const std::string value = text();
  int out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec == std::errc::result_out_of_range) {
    fail("expected a whole number from " + std::to_string(std::numeric_limits<int>::min()) +
         " to " + std::to_string(std::numeric_limits<int>::max()) + ", got '" + value + "'");
  }
  if (ec != std::errc{} || end != value.data() + value.size()) {
    fail("expected a whole number, got '" + value + "'");
  }
  return out;
}

bool YamlNode::boolean() const {
  const std::string value = text();
  if (value == "true" || value == "yes") return true;
  if (value == "false" || value == "no") return false;
  fail("expected true or false, got '" + value + "'");
}

double YamlNode::clock_time() const {
  try {
    return units::parse_clock_time(text());
  } catch (const UnitError& e) {
    fail(e.what());
  }
}

std::string apply_yaml_override(YAML::Node root, const std::string& assignment,
                                std::string_view example) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError(kOverrideFile, 0, assignment,
                     "expected PATH=VALUE, e.g. " + std::string(example));
  }
  const std::string dotted = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw InputError(kOverrideFile, 0, dotted, "malformed value: " + e.msg);
  }
  std::vector<std::string> keys;
  std::stringstream parts(dotted);
  for (std::string key; std::getline(parts, key, '.');) keys.push_back(key);
  std::string path;
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    YAML::Node current = chain.back();
    const bool index = !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit);
    if (index) {
      // Compared as text first: an index of more digits than any list has would overflow stoul.
      const std::size_t size = current.IsSequence() ? current.size() : 0;
      const bool in_range = key.size() <= std::to_string(size).size() && std::stoull(key) < size;
      if (!current.IsSequence() || !in_range) {
        throw InputError(kOverrideFile, 0, dotted, "'" + path + "' has no item " + key);
      }
      path += "[" + key + "]";
      chain.push_back(current[std::stoull(key)]);
    } else {
      if (key.empty() || (current.IsDefined() && !current.IsNull() && !current.IsMap())) {
        throw InputError(kOverrideFile, 0, dotted, "cannot set a field inside '" + path + "'");
      }
      path += (path.empty() ? "" : ".") + key;
      chain.push_back(current[key]);
    }
  }
  chain.back() = value;
  return path;
}

}  // namespace csfpk
