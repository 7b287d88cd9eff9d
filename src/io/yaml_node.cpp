#include "csfpk/io/yaml_node.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "csfpk/core/errors.hpp"
#include "csfpk/core/text.hpp"

namespace csfpk {

YamlNode::YamlNode(YAML::Node node, std::shared_ptr<const YamlSource> source, std::string path)
    : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {}

YamlNode YamlNode::load_string(const std::string& text, std::shared_ptr<const YamlSource> source) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      throw InputError(source->file, root.IsDefined() ? root.Mark().line + 1 : 0, "",
                       "expected a YAML mapping of fields at the top level");
    }
    return YamlNode(root, std::move(source), "");
  } catch (const YAML::Exception& e) {
    throw InputError(source->file, e.mark.line + 1, "", "malformed YAML: " + e.msg);
  }
}

YamlNode YamlNode::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  auto source = std::make_shared<YamlSource>();
  source->file = path;
  return load_string(text.str(), std::move(source));
}

int YamlNode::line() const {
  if (source_->overridden_paths.count(path_) > 0) return 0;
  const YAML::Mark mark = node_.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

void YamlNode::fail(const std::string& message) const {
  if (source_->overridden_paths.count(path_) > 0) {
    throw InputError("--set", 0, path_, message);
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
  if (!node_.IsMap()) fail("expected a mapping of fields");
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    YamlNode key_node(entry.first, source_, child_path(path_, key));
    if (!entry.first.IsScalar()) key_node.fail("field names must be plain words");
    if (!seen.insert(key).second) key_node.fail("appears twice");
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string suggestion = closest_match(key, allowed);
    key_node.fail("unknown field" +
                  (suggestion.empty() ? "; expected one of " + join_alternatives(allowed)
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

double YamlNode::number() const { return quantity(units::kDimensionless); }

int YamlNode::integer() const {
  const std::string value = text();
  int out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
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

}  // namespace csfpk
