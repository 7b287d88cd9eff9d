// One YAML document per file: markers that open or close the document are fine, a second
// document is refused at its marker's line (found in the text, not by yaml-cpp's LoadAll, which
// can loop forever on malformed input).
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "csfpk/core/errors.hpp"
#include "io/yaml_node.hpp"

using namespace csfpk;

namespace {

int second_document_error_line(const std::string& text) {
  auto source = std::make_shared<YamlSource>();
  source->file = "doc.yaml";
  try {
    (void)YamlNode::load_string(text, source);
  } catch (const InputError& e) {
    if (std::string(e.what()).find("second YAML document") != std::string::npos) return e.line();
    throw;
  }
  return 0;
}

}  // namespace

TEST_CASE("YAML files: one document, with or without markers", "[yaml]") {
  CHECK(second_document_error_line("a: 1\nb: 2\n") == 0);
  CHECK(second_document_error_line("# comment\n---\na: 1\n") == 0);
  CHECK(second_document_error_line("--- {a: 1}\n") == 0);
  CHECK(second_document_error_line("a: 1\n---\n# only a comment after\n") == 0);
  CHECK(second_document_error_line("a: 1\n...\n") == 0);
  CHECK(second_document_error_line("text: |\n  ---not a marker, indented\n") == 0);
}

TEST_CASE("YAML files: a second document is refused at its marker", "[yaml]") {
  CHECK(second_document_error_line("a: 1\n---\nb: 2\n") == 2);
  CHECK(second_document_error_line("---\na: 1\n---\nb: 2\n") == 3);
  CHECK(second_document_error_line("--- {a: 1}\n--- {b: 2}\n") == 2);
  CHECK(second_document_error_line("a: 1\n...\n# gap\n\nb: 2\n") == 2);
}
