#include <catch2/catch.hpp>

#include <filesystem>

#include "chronos/atomic_file.hpp"
#include "../support/temp_dir.hpp"

using namespace chronos;

TEST_CASE("an atomic write replaces the file and leaves no temporary behind") {
  test::temp_dir dir;
  auto path = dir.file("state.json");
  REQUIRE(write_atomically(path, "first"));
  REQUIRE(write_atomically(path, "second"));
  CHECK(test::slurp(path) == "second");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator{}) == 1);
}

TEST_CASE("an atomic write into a missing folder fails and names the file") {
  test::temp_dir dir;
  auto path = dir.file("missing/state.json");
  auto ok = write_atomically(path, "x");
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::storage_failure);
  CHECK(ok.error().detail.find(path) != std::string::npos);
}

TEST_CASE("reading a missing file is not an error, reading a folder is") {
  test::temp_dir dir;
  auto missing = read_file_if_exists(dir.file("nothing"));
  REQUIRE(missing);
  CHECK_FALSE(*missing);
  auto folder = read_file_if_exists(dir.path().string());
  REQUIRE_FALSE(folder);
  CHECK(folder.error().code == errc::storage_failure);
}

TEST_CASE("a file written atomically reads back byte for byte") {
  test::temp_dir dir;
  std::string data(200'000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 7);
  REQUIRE(write_atomically(dir.file("blob"), data));
  auto back = read_file_if_exists(dir.file("blob"));
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(**back == data);
}
