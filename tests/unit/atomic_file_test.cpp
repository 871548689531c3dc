#include <catch2/catch.hpp>

#include <filesystem>

#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"
#include "chronos/store/atomic_file.hpp"

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

namespace {

std::size_t files_in(const std::filesystem::path& folder) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(folder),
                                                std::filesystem::directory_iterator{}));
}

} // namespace

TEST_CASE("a file written in pieces past several write-back ranges reads back in order") {
  test::temp_dir dir;
  auto path = dir.file("state.json");
  auto file = atomic_writer::create(path);
  REQUIRE(file);
  std::string expected;
  // 13 MiB in uneven pieces, one of them larger than a write-back range.
  for (std::size_t i = 0; expected.size() < (13u << 20); ++i) {
    std::string piece(i == 7 ? (6u << 20) : 100'003 + i, static_cast<char>('a' + i % 26));
    REQUIRE(file->append(piece));
    expected += piece;
  }
  CHECK_FALSE(std::filesystem::exists(path)); // nothing in place before the commit
  REQUIRE(file->commit());
  CHECK(test::slurp(path) == expected);
  CHECK(files_in(dir.path()) == 1);
  auto again = file->commit();
  REQUIRE_FALSE(again);
  CHECK(again.error().detail.find("already closed") != std::string::npos);
}

TEST_CASE("a file dropped before its commit leaves the old one and no temporary") {
  test::temp_dir dir;
  auto path = dir.file("state.json");
  REQUIRE(write_atomically(path, "old"));
  {
    auto file = atomic_writer::create(path);
    REQUIRE(file);
    REQUIRE(file->append(std::string(5u << 20, 'n')));
  }
  CHECK(test::slurp(path) == "old");
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("a full disk fails the write, names the file and leaves the old one") {
  test::tiny_disk disk{"1m"};
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  auto path = disk.file("state.json");
  REQUIRE(write_atomically(path, "old"));
  auto ok = write_atomically(path, std::string(2u << 20, 'n'));
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::storage_failure);
  CHECK(ok.error().detail.find(path + ".tmp") != std::string::npos);
  CHECK(test::slurp(path) == "old");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
}
