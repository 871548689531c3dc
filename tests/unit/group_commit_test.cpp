#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"
#include "chronos/store/journal.hpp"
#include "server/group_commit.hpp"

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

server_state recording_state() {
  server_state st{token_generator{1}};
  st.record_changes();
  return st;
}

} // namespace

TEST_CASE("a flushed batch is in the journal, server changes first") {
  test::temp_dir dir;
  auto st = recording_state();
  group_commit gc{open_journal(dir.file("j")), nullptr};
  REQUIRE(st.schedule(in("a", 0), t0));
  gc.stage(st, if_unwritten::undo);
  REQUIRE(gc.drain(st, flush::sync));
  for (auto& t : st.take_due(t0))
    st.park(t);
  gc.stage(st, if_unwritten::keep);
  REQUIRE(st.schedule(in("b", 10), t0));
  gc.stage(st, if_unwritten::undo);
  CHECK(gc.undoable());
  REQUIRE(gc.drain(st, flush::sync));
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
  auto st = recording_state();
  group_commit gc{open_journal(disk.file("j")), nullptr};
  std::string kept;
  for (int i = 0; i < 30; ++i)
    kept = st.schedule(in("a", 5), t0)->str();
  gc.stage(st, if_unwritten::undo);
  REQUIRE(gc.drain(st, flush::sync));
  const auto durable_size = gc.log_size();

  disk.fill();
  // Server changes (kept for retry) and client changes (undone); each needs
  // more room than the last, partly filled page of the journal offers.
  for (auto& t : st.take_due(t0 + millis{5}))
    st.park(t);
  gc.stage(st, if_unwritten::keep);
  for (int i = 0; i < 50; ++i)
    REQUIRE(st.schedule(in("b", 100), t0));
  REQUIRE(st.cancel(kept));
  gc.stage(st, if_unwritten::undo);
  auto failed = gc.drain(st, flush::sync);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == errc::storage_failure);
  CHECK(gc.broken());
  CHECK(st.stats().pending == 0);   // the 50 schedules are undone
  CHECK(st.stats().parked == 30);   // the cancel of a parked one is undone
  CHECK(gc.log_size() == durable_size);
  CHECK(test::slurp(disk.file("j")).size() == durable_size); // no partial record left

  CHECK_FALSE(gc.retry(st));
  disk.free();
  REQUIRE(gc.retry(st));
  CHECK_FALSE(gc.broken());
  auto back = read_journal(disk.file("j"));
  REQUIRE(back);
  CHECK(back->changes.size() == 90); // 30 schedules, then 30 fires and 30 parks
}

TEST_CASE("batches submitted during a write share the next one, in order") {
  test::temp_dir dir;
  auto st = recording_state();
  // The disk thread reports each write; the first report waits until three
  // more batches are queued behind it.
  std::mutex mtx;
  std::condition_variable cv;
  int writes = 0;
  bool queued = false;
  std::vector<std::string> heard; // batches whose submitter heard "durable"
  std::size_t heard_before_first_notify = 0;
  group_commit gc{open_journal(dir.file("j")), [&] {
                    std::unique_lock<std::mutex> lock{mtx};
                    if (++writes == 1)
                      heard_before_first_notify = heard.size();
                    cv.notify_all();
                    cv.wait(lock, [&] { return queued; });
                  }};
  std::vector<std::string> names{"a", "b", "c", "d"};
  for (const auto& name : names) {
    REQUIRE(st.schedule(in(name, 1000), t0));
    gc.stage(st, if_unwritten::undo);
    gc.submit(flush::sync, [&, name](const status& written) {
      std::lock_guard<std::mutex> guard{mtx};
      heard.push_back(written ? name : "error");
    });
  }
  {
    std::lock_guard<std::mutex> guard{mtx};
    queued = true;
  }
  cv.notify_all();
  CHECK(gc.busy());
  auto settled = gc.settle(st, settle_wait::all_submitted);
  REQUIRE(settled.result);
  CHECK(settled.durable == 4);
  CHECK_FALSE(gc.busy());
  CHECK_FALSE(gc.undoable());
  {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return writes >= 1; }); // settled may come before the notice
    CHECK(writes <= 2); // the first batch alone (or with others), then the rest at once
    CHECK(heard == names);
    CHECK(heard_before_first_notify >= 1); // told before the actor is
  }
  auto back = read_journal(dir.file("j"));
  REQUIRE(back);
  std::vector<std::string> order;
  for (const auto& c : back->changes)
    order.push_back(c.entry.name);
  CHECK(order == names);
}

TEST_CASE("a failed write undoes every batch queued behind it, and nothing of them is written") {
  test::tiny_disk disk;
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  auto st = recording_state();
  group_commit gc{open_journal(disk.file("j")), nullptr, batch_writer::caller};
  // What each submitter heard, and how many timeouts were left then.
  std::vector<std::pair<std::string, std::uint64_t>> heard;
  const auto hear = [&](std::string batch) {
    return [&heard, &st, batch](const status& written) {
      heard.emplace_back(written ? batch : batch + ": " + written.error().detail, st.stats().pending);
    };
  };
  REQUIRE(st.schedule(in("first", 1000), t0));
  gc.stage(st, if_unwritten::undo);
  gc.submit(flush::sync, hear("first"));
  const auto durable_size = gc.log_size();
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].first == "first");

  disk.fill();
  for (int i = 0; i < 50; ++i)
    REQUIRE(st.schedule(in("second", 1000), t0));
  gc.stage(st, if_unwritten::undo);
  gc.submit(flush::sync, hear("second")); // fails
  disk.free();
  REQUIRE(st.schedule(in("third", 1000), t0));
  gc.stage(st, if_unwritten::undo);
  gc.submit(flush::sync, hear("third")); // queued behind the failure: never written
  CHECK(heard.size() == 1); // the failures are told by settle, after the undo
  REQUIRE(st.schedule(in("staged", 1000), t0));
  gc.stage(st, if_unwritten::undo);

  auto settled = gc.settle(st, settle_wait::none);
  CHECK(settled.durable == 1);
  REQUIRE_FALSE(settled.result);
  CHECK(settled.result.error().code == errc::storage_failure);
  CHECK(gc.broken());
  CHECK_FALSE(gc.busy());
  CHECK_FALSE(gc.pending());
  CHECK(st.stats().pending == 1); // only "first" is left
  CHECK(st.list("first").size() == 1);
  REQUIRE(heard.size() == 3);
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK_THAT(heard[i].first, Catch::StartsWith(i == 1 ? "second: " : "third: "));
    CHECK(heard[i].second == 1); // undone before they heard
  }
  CHECK(gc.log_size() == durable_size);
  CHECK(test::slurp(disk.file("j")).size() == durable_size);

  REQUIRE(gc.retry(st));
  CHECK_FALSE(gc.broken());
  REQUIRE(st.schedule(in("after", 1000), t0));
  gc.stage(st, if_unwritten::undo);
  REQUIRE(gc.drain(st, flush::sync));
  auto back = read_journal(disk.file("j"));
  REQUIRE(back);
  REQUIRE(back->changes.size() == 2);
  CHECK(back->changes[1].entry.name == "after");
}
