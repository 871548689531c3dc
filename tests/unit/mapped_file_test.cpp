#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "../support/temp_dir.hpp"
#include "store/mapped_file.hpp"

using chronos::detail::mapped_file;
using namespace chronos;

TEST_CASE("a mapped file reads what the file holds, an empty one as empty text") {
  test::temp_dir dir;
  std::string text(300'000, 'x');
  text.back() = '\n';
  test::spit(dir.file("big"), text);
  auto big = mapped_file::open_if_exists(dir.file("big"));
  REQUIRE(big);
  REQUIRE(*big);
  CHECK((*big)->text() == text);

  test::spit(dir.file("empty"), "");
  auto empty = mapped_file::open_if_exists(dir.file("empty"));
  REQUIRE(empty);
  REQUIRE(*empty);
  CHECK((*empty)->text().empty());

  // Moving keeps one mapping, released once.
  mapped_file moved = std::move(**big);
  CHECK(moved.text() == text);
  CHECK((*big)->text().empty());
}

TEST_CASE("mapping a missing file is not an error, mapping a folder is, naming it") {
  test::temp_dir dir;
  auto missing = mapped_file::open_if_exists(dir.file("nothing"));
  REQUIRE(missing);
  CHECK_FALSE(*missing);
  auto folder = mapped_file::open_if_exists(dir.path().string());
  REQUIRE_FALSE(folder);
  CHECK(folder.error().code == errc::storage_failure);
  CHECK(folder.error().detail.find(dir.path().string()) != std::string::npos);
}
