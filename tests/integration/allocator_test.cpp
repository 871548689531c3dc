#include "../support/chronosd_process.hpp"

using namespace chronos::test;

// A jemalloc that the linker dropped (nothing names its symbols) would leave
// chronosd on the C library's malloc without a word; its mappings tell.
TEST_CASE("chronosd runs on the allocator it was built with") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  const auto maps = slurp("/proc/" + std::to_string(d.proc->pid()) + "/maps");
  REQUIRE(maps.find("chronosd") != std::string::npos);
  const bool on_jemalloc = maps.find("libjemalloc") != std::string::npos;
  CHECK(on_jemalloc == (std::string{CHRONOSD_ALLOCATOR} == "jemalloc"));
  CHECK(d.stop() == 0);
}
