#include "../support/chronosd_process.hpp"

#include "chronos/store/journal.hpp"
#include "chronos/store/state_file.hpp"
#include "chronos/table/change.hpp"

using namespace chronos;
using namespace chronos::test;

#ifdef CHRONOSD_ON_JEMALLOC
constexpr bool built_for_jemalloc = true;
#else
constexpr bool built_for_jemalloc = false;
#endif

// A jemalloc that the linker dropped (chronos-bench names none of its
// symbols) would leave a program on the C library's malloc without a word;
// its mappings tell.
TEST_CASE("chronosd runs on the allocator it was built with") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  const auto maps = slurp("/proc/" + std::to_string(d.proc->pid()) + "/maps");
  REQUIRE(maps.find("chronosd") != std::string::npos);
  const bool on_jemalloc = maps.find("libjemalloc") != std::string::npos;
  CHECK(on_jemalloc == built_for_jemalloc);
  CHECK(d.stop() == 0);
}

namespace {

// When the journal below cancels what it scheduled.
enum class cancels { at_the_end, each_after_its_schedule };

// An empty state file and a journal after it that schedules `n` timeouts with
// `payload_bytes` each and cancels them: all at the end, as a crash would
// leave a busy journal, or each one right after it was scheduled. (Sanitizer
// builds run neither test that uses it.)
[[maybe_unused]] void save_scheduled_and_cancelled(const std::string& state, std::size_t n,
                                                   std::size_t payload_bytes, cancels when) {
  REQUIRE(save_state(state, snapshot{}));
  auto journal = journal_writer::create(journal_path(state, 0), 0);
  REQUIRE(journal);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::hours{1};
  const auto cancel = [](std::size_t i) { return change{change::op::cancel, token{1, i + 1}, {}, {}, {}}; };
  std::string records;
  for (std::size_t i = 0; i < n; ++i) {
    const token tok{1, i + 1};
    timeout t{floor_ms(deadline), tok, "w", std::string(payload_bytes, 'x'), millis{0}, {}};
    append_record(records, change{change::op::schedule, tok, std::move(t), {}, {}});
    if (when == cancels::each_after_its_schedule)
      append_record(records, cancel(i));
  }
  for (std::size_t i = 0; when == cancels::at_the_end && i < n; ++i)
    append_record(records, cancel(i));
  REQUIRE(journal->append(records));
  REQUIRE(journal->sync());
}

} // namespace

// Sanitizers keep freed memory in quarantine, so only plain builds can tell.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// Replay reads one record at a time: decoding the whole journal first would
// hold every payload at once, though the state never holds more than one.
TEST_CASE("replaying a journal holds one record at a time") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  save_scheduled_and_cancelled(state, 16'000, 4096, cancels::each_after_its_schedule);
  auto d = chronosd_process::start(dir, state);
  const auto listed = ctl_ok(dir, d.port, {"list", "--json"});
  CHECK(listed.find("token") == std::string::npos);
  // The peak counts the mapped journal's pages (64 MiB) too, but not twice.
  const auto peak_kib = d.proc->status_kib("VmHWM");
  CHECK(peak_kib > 0);
  CHECK(peak_kib < 112 * 1024);
  CHECK(d.stop() == 0);
}
#endif

#ifdef CHRONOSD_ON_JEMALLOC
// jemalloc would hold the replay's pages for its ten-second decay.
TEST_CASE("after replaying a journal chronosd gives back the memory the replay used") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  save_scheduled_and_cancelled(state, 16'000, 4096, cancels::at_the_end); // 64 MiB of payloads at the peak
  auto d = chronosd_process::start(dir, state);
  const auto listed = ctl_ok(dir, d.port, {"list", "--json"});
  CHECK(listed.find("token") == std::string::npos); // every one cancelled
  // Anonymous memory: the heap, not the mapped files.
  const auto rss_anon_kib = d.proc->status_kib("RssAnon");
  CHECK(rss_anon_kib > 0);
  CHECK(rss_anon_kib < 32 * 1024);
  CHECK(d.stop() == 0);
}
#endif
