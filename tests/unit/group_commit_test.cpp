#include <catch2/catch.hpp>

#include "chronos/group_commit.hpp"
#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"

using namespace chronos;

namespace {

const timestamp t0 = from_epoch_ms(1'795'302'000'000);

schedule_request in(std::string name, std::int64_t delay_ms) {
  return {std::move(name), when_spec::in(delay_ms), std::string(200, 'p'), 0};
}

std::shared_ptr<journal_writer> open_journal(const std::string& path) {
  auto w = journal_writer::create(path, 0);
  REQUIRE(w);
  return std::make_shared<journal_writer>(std::move(*w));
}

} // namespace

TEST_CASE("a flushed batch is in the journal, server changes first") {
  test::temp_dir dir;
  server_state st{token_generator{1}};
  st.record_changes(true);
  group_commit gc{open_journal(dir.file("j")), nullptr};
  REQUIRE(st.schedule(in("a", 0), t0));
  gc.stage(st, true);
  REQUIRE(gc.drain(st, true));
  for (auto& t : st.take_due(t0))
    st.park(t);
  gc.stage(st, false);
  REQUIRE(st.schedule(in("b", 10), t0));
  gc.stage(st, true);
  CHECK(gc.undoable());
  REQUIRE(gc.drain(st, true));
  CHECK_FALSE(gc.pending());
  auto back = read_journal(dir.file("j"));
  REQUIRE(back);
  std::vector<change::op> ops;
  for (const auto& c : back->changes)
    ops.push_back(c.what);
  CHECK(ops == std::vector<change::op>{change::op::schedule, change::op::fire, change::op::park,
                                       change::op::schedule});
}

TEST_CASE("a batch that cannot be written is undone, and the journal recovers") {
  test::tiny_disk disk;
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  server_state st{token_generator{1}};
  st.record_changes(true);
  group_commit gc{open_journal(disk.file("j")), nullptr};
  std::string kept;
  for (int i = 0; i < 30; ++i)
    kept = st.schedule(in("a", 5), t0)->str();
  gc.stage(st, true);
  REQUIRE(gc.drain(st, true));
  const auto durable_size = gc.journal_size();

  disk.fill();
  // Server changes (kept for retry) and client changes (undone); each needs
  // more room than the last, partly filled page of the journal offers.
  for (auto& t : st.take_due(t0 + millis{5}))
    st.park(t);
  gc.stage(st, false);
  for (int i = 0; i < 50; ++i)
    REQUIRE(st.schedule(in("b", 100), t0));
  REQUIRE(st.cancel(kept));
  gc.stage(st, true);
  auto failed = gc.drain(st, true);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == errc::storage_failure);
  CHECK(gc.broken());
  CHECK(st.stats().pending == 0);   // the 50 schedules are undone
  CHECK(st.stats().parked == 30);   // the cancel of a parked one is undone
  CHECK(gc.journal_size() == durable_size);
  CHECK(test::slurp(disk.file("j")).size() == durable_size); // no partial record left

  CHECK_FALSE(gc.retry());
  disk.free();
  REQUIRE(gc.retry());
  CHECK_FALSE(gc.broken());
  auto back = read_journal(disk.file("j"));
  REQUIRE(back);
  CHECK(back->changes.size() == 90); // 30 schedules, then 30 fires and 30 parks
}
