// Text helpers: what an error message may put on a terminal.
#include <catch2/catch.hpp>
#include <string>

#include "csfpk/core/text.hpp"

using namespace csfpk;

TEST_CASE("printable messages show control characters and cut floods", "[text]") {
  CHECK(printable_message("plain 0.5 mL/day, line 2\nnext") == "plain 0.5 mL/day, line 2\nnext");
  CHECK(printable_message("got '\x1b[31mred\x1b[0m'") == "got '\\x1b[31mred\\x1b[0m'");
  CHECK(printable_message(std::string("nul\0here", 8)) == "nul\\x00here");
  const std::string flood(1'000'000, 'a');
  const std::string cut = printable_message("got '" + flood + "'", 100);
  CHECK(cut.size() < 140);
  CHECK(cut.substr(0, 6) == "got 'a");
  CHECK(cut.find("... (999906 more bytes)") != std::string::npos);
}

TEST_CASE("printable messages are cut between UTF-8 characters", "[text]") {
  // "µ" is two bytes: a cut after 3 bytes of "aaµµ" would split the first µ.
  const std::string cut = printable_message("a\xc2\xb5\xc2\xb5", 2);
  CHECK(cut.substr(0, 1) == "a");
  CHECK(cut.find("... (4 more bytes)") != std::string::npos);
}
