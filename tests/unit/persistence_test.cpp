#include <catch2/catch.hpp>

#include "../support/state_text.hpp"
#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/store/persistence.hpp"

#include <filesystem>
#include <fstream>

using namespace chronos;

namespace {

const timestamp t0 = from_epoch_ms(1'795'302'000'000);

schedule_request in(std::string name, std::int64_t delay_ms, std::int64_t interval_ms = 0) {
  return {std::move(name), when_spec::in(delay_ms), "p", interval_ms};
}

server_state fresh(std::uint64_t seed = 1) { return server_state{token_generator{seed}}; }

// Writes the changes `st` recorded to a journal file of generation `gen`.
void write_journal(const std::string& state, std::uint64_t gen, server_state& st) {
  auto w = journal_writer::create(journal_path(state, gen), gen);
  REQUIRE(w);
  std::string records;
  for (const auto& c : st.take_changes())
    append_record(records, c);
  REQUIRE(w->append(records));
}

// A live state that scheduled `each` timeouts per generation in `gens`, the
// changes written to that generation's journal.
server_state journaled(const std::string& state, std::vector<std::uint64_t> gens,
                       int each = 1) {
  server_state live = fresh();
  live.record_changes();
  for (auto gen : gens) {
    for (int i = 0; i < each; ++i)
      REQUIRE(live.schedule(in("n" + std::to_string(gen), 10), t0));
    write_journal(state, gen, live);
  }
  return live;
}

} // namespace

TEST_CASE("durability modes parse and print") {
  for (auto d : {durability::always, durability::interval, durability::shutdown})
    CHECK(parse_durability(to_string(d)) == d);
  CHECK_FALSE(parse_durability("sometimes"));
}

TEST_CASE("a state file is written from the state as from its snapshot") {
  test::temp_dir dir;
  server_state live = fresh();
  for (int i = 0; i < 40; ++i) { // payloads, periods, both and neither, mixed
    const schedule_request r{"n" + std::to_string(i % 3), when_spec::in(10 + i * 7 % 50),
                             i % 2 ? "p" + std::to_string(i) : "", i % 5 == 0 ? 100 : 0};
    REQUIRE(live.schedule(r, t0));
  }
  for (auto& t : live.take_due(t0 + millis{20}))
    live.park(t);
  REQUIRE(live.count({}).parked > 0);
  const auto streamed = dir.file("streamed.json");
  const auto whole = dir.file("whole.json");
  REQUIRE(save_state(streamed, live, t0, 7));
  REQUIRE(save_state(whole, live.collect(t0, 7)));
  CHECK(test::slurp(streamed) == test::slurp(whole));
  server_state back = fresh(2);
  auto generation = load_state(streamed, back);
  REQUIRE(generation);
  CHECK(*generation == 7);
  CHECK(back.list() == live.list());
  CHECK(back.count({}).parked == live.count({}).parked);
}

TEST_CASE("replaying recorded changes rebuilds the same state") {
  server_state live = fresh();
  live.record_changes();
  auto a = live.schedule(in("a", 10), t0);
  auto b = live.schedule(in("b", 20, 5), t0);
  auto c = live.schedule(in("a", 30), t0);
  REQUIRE((a && b && c));
  REQUIRE(live.cancel(c->str()));
  REQUIRE(live.reschedule(a->str(), when_spec::in(15), t0));
  for (auto& t : live.take_due(t0 + millis{26}))
    live.park(t);
  live.take_parked("a");
  server_state replayed = fresh(2);
  for (const auto& ch : live.take_changes())
    REQUIRE(replayed.apply(ch));
  CHECK(replayed.list() == live.list());
}

TEST_CASE("a change that does not fit the state is refused on replay") {
  server_state st = fresh();
  change fire{change::op::fire, token{1, 1}, {}, {}, {}};
  CHECK_FALSE(st.apply(fire));
}

TEST_CASE("undoing client changes newest first restores the state") {
  server_state st = fresh();
  auto kept = st.schedule(in("a", 100), t0);
  auto parked = st.schedule(in("b", 5), t0);
  REQUIRE((kept && parked));
  for (auto& t : st.take_due(t0 + millis{5}))
    st.park(t);
  const auto before = st.list();
  st.record_changes();
  REQUIRE(st.schedule(in("c", 1), t0));
  REQUIRE(st.reschedule(kept->str(), when_spec::in(1), t0));
  REQUIRE(st.reschedule(parked->str(), when_spec::in(3), t0));
  REQUIRE(st.cancel(kept->str()));
  auto changes = st.take_changes();
  for (auto c = changes.rbegin(); c != changes.rend(); ++c)
    st.undo(*c);
  CHECK(st.list() == before);
}

TEST_CASE("recovery replays the journals that follow the snapshot, then checkpoints") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto live = journaled(state, {0, 1});
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE(r);
  CHECK(r->replayed == 2);
  CHECK(r_state.list() == live.list());
  // The checkpoint holds everything and the next journal is open.
  REQUIRE(r->log);
  CHECK(r->generation == 2);
  auto snap = load_state(state);
  REQUIRE(snap);
  CHECK(snap->generation == 2);
  CHECK(snap->pending.size() == 2);
  CHECK(*list_journals(state) == std::vector<std::uint64_t>{2});
}

TEST_CASE("recovery can leave the snapshot for later: the files stay a complete set") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto live = journaled(state, {0, 1});
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always, start_snapshot::later);
  REQUIRE(r);
  CHECK(r->replayed == 2);
  CHECK(r->snapshot_stale);
  CHECK(r_state.list() == live.list());
  REQUIRE(r->log);
  CHECK(r->generation == 2);
  CHECK_FALSE(std::ifstream{state}.good()); // no snapshot written
  CHECK(*list_journals(state) == std::vector<std::uint64_t>{0, 1, 2});
  server_state again = fresh();
  REQUIRE(load(state, again));
  CHECK(again.list() == live.list());

  // Nothing replayed: nothing stale. Without a journal to go on with (shutdown
  // mode) the snapshot is written now.
  server_state third = fresh();
  auto r3 = recover(state, third, durability::shutdown, start_snapshot::later);
  REQUIRE(r3);
  CHECK_FALSE(r3->snapshot_stale);
  CHECK(load_state(state)->pending.size() == 2);
  server_state fourth = fresh();
  auto r4 = recover(state, fourth, durability::always, start_snapshot::later);
  REQUIRE(r4);
  CHECK(r4->replayed == 0);
  CHECK_FALSE(r4->snapshot_stale);
}

TEST_CASE("a state file that holds everything is not rewritten at recovery") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  server_state live = fresh();
  REQUIRE(live.schedule(in("a", 10), t0));
  snapshot s = live.collect(t0);
  s.generation = 3;
  REQUIRE(save_state(state, s));
  const auto inode = test::inode_of(state);
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE(r);
  CHECK(r->replayed == 0);
  CHECK(r_state.list() == live.list());
  CHECK(test::inode_of(state) == inode); // a rewrite renames a new file into place
  REQUIRE(r->log);
  CHECK(r->generation == 3);
  // What the new journal records then follows the untouched snapshot.
  r_state.record_changes();
  REQUIRE(r_state.schedule(in("b", 10), t0));
  std::string records;
  for (const auto& c : r_state.take_changes())
    append_record(records, c);
  REQUIRE(r->log->append(records));
  r->log.reset();
  server_state again_state = fresh();
  auto again = recover(state, again_state, durability::always);
  REQUIRE(again);
  CHECK(again->replayed == 1);
  CHECK(again_state.stats().pending == 2);
  CHECK(test::inode_of(state) != inode); // this time there was something to fold in
}

TEST_CASE("a hand-edited state file loads whole: what the fast reader took is dropped first") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  server_state live = fresh();
  for (const char* name : {"a", "b", "c"})
    REQUIRE(live.schedule(in(name, 10), t0));
  REQUIRE(save_state(state, live.collect(t0)));
  // Valid JSON in another layout on the last line: the fast reader has
  // handed over two timeouts when it gives up.
  auto text = test::without_checksum(test::slurp(state));
  const auto last = text.rfind("\"name\":\"");
  text.replace(last, 7, "\"name\": ");
  test::spit(state, text);
  server_state restored = fresh();
  REQUIRE(load(state, restored));
  CHECK(restored.list() == live.list());
}

TEST_CASE("journals older than the snapshot are ignored (a crash mid-compaction)") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  server_state live = fresh();
  live.record_changes();
  REQUIRE(live.schedule(in("a", 10), t0));
  write_journal(state, 4, live); // already inside the snapshot below
  snapshot s = live.collect(t0);
  s.generation = 5;
  REQUIRE(save_state(state, s));
  REQUIRE(live.schedule(in("b", 10), t0));
  write_journal(state, 5, live);
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::shutdown);
  REQUIRE(r);
  CHECK(r->replayed == 1);
  CHECK(r_state.stats().pending == 2);
  CHECK_FALSE(r->log);
  CHECK(list_journals(state)->empty());
}

TEST_CASE("loading up to a generation leaves later journals out (compaction)") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  journaled(state, {0, 1});
  server_state upto0_state = fresh();
  auto upto0 = load(state, upto0_state, 0);
  REQUIRE(upto0);
  CHECK(upto0_state.stats().pending == 1);
  CHECK(upto0->next_generation == 1);
  server_state all_state = fresh();
  auto all = load(state, all_state);
  REQUIRE(all);
  CHECK(all_state.stats().pending == 2);
  CHECK(all->next_generation == 2);
  CHECK(*list_journals(state) == std::vector<std::uint64_t>{0, 1}); // load only reads
}

TEST_CASE("a torn journal tail is dropped at recovery") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  journaled(state, {0}, 2);
  // The end of the last record, and the count after it, never reached the
  // disk: the reserved space after them shows through.
  auto text = test::slurp(journal_path(state, 0));
  const auto end = text.find_last_not_of('\n') + 1;
  const auto count_start = text.rfind('\n', end - 1) + 1;
  text.replace(count_start - 20, end - count_start + 20, std::string(end - count_start + 20, '\n'));
  test::spit(journal_path(state, 0), text);
  // load only reports it (a compaction's re-read must not log it again)...
  server_state l_state = fresh();
  auto l = load(state, l_state);
  REQUIRE(l);
  REQUIRE(l->warnings.size() == 1);
  CHECK_THAT(l->warnings[0], Catch::Contains(journal_path(state, 0))
                           && Catch::Contains("torn last record"));
  // ...and recovery drops it.
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE(r);
  CHECK(r->replayed == 1);
  CHECK(r->torn_bytes > 0);
}

TEST_CASE("a journaled change that does not fit stops recovery naming the record") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  journaled(state, {0}, 2);
  const auto path = journal_path(state, 1);
  auto journal = journal_writer::create(path, 1);
  REQUIRE(journal);
  std::string records;
  const token fits{1, 98};
  append_record(records, change{change::op::schedule, fits,
                                 timeout{t0 + millis{10}, fits, "w", "", millis{0}, {}}, {}, {}});
  append_record(records, change{change::op::cancel, token{1, 99}, {}, {}, {}});
  REQUIRE(journal->append(records));
  REQUIRE(journal->sync());
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, Catch::StartsWith("journal '" + path + "', record 2: cancel of token")
                                 && Catch::Contains("does not fit the state"));
  CHECK_FALSE(std::ifstream{state}.good());
}

TEST_CASE("a corrupt journal stops recovery and nothing is written") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  journaled(state, {0}, 2);
  const auto path = journal_path(state, 0);
  auto text = test::slurp(path);
  const auto first = text.find('\n') + 1;
  text[first + 20] = text[first + 20] == 'x' ? 'y' : 'x';
  test::spit(path, text);
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find(path) != std::string::npos);
  CHECK(r.error().detail.find("at byte " + std::to_string(first)) != std::string::npos);
  CHECK(test::slurp(path) == text);
  CHECK(*list_journals(state) == std::vector<std::uint64_t>{0});
  CHECK_FALSE(std::ifstream{state}.good());
}

TEST_CASE("a newest journal that was never written holds nothing, and the start goes on") {
  // An empty file (the disk was full when its header was written) and a
  // header cut short (the process died right then).
  for (const std::string& unwritten : {std::string{}, std::string{"1c3a5f7e {\"format\":\"chro"}}) {
    test::temp_dir dir;
    const auto state = dir.file("chronos.json");
    auto live = journaled(state, {0});
    test::spit(journal_path(state, 1), unwritten);
    server_state l_state = fresh();
    auto l = load(state, l_state);
    REQUIRE(l);
    CHECK(l->replayed == 1);
    CHECK(l->next_generation == 1);
    REQUIRE(l->warnings.size() == 1);
    CHECK_THAT(l->warnings[0],
               Catch::Contains(journal_path(state, 1)) && Catch::Contains("never written"));
    server_state r_state = fresh();
    auto r = recover(state, r_state, durability::always);
    REQUIRE(r);
    CHECK(r_state.list() == live.list());
    REQUIRE(r->log);
    CHECK(r->generation == 1);
    CHECK(test::slurp(journal_path(state, 1)).find("chronos-journal") != std::string::npos);
  }
}

TEST_CASE("a journal never written before newer ones is damage, not a failed start") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  journaled(state, {0});
  test::spit(journal_path(state, 1), "");
  journaled(state, {2});
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, Catch::Contains(journal_path(state, 1))
                                 && Catch::Contains("newer journals follow"));
  CHECK_FALSE(std::ifstream{state}.good());
}

TEST_CASE("a journal that cannot be created is not left behind") {
  test::tiny_disk disk{"64k"};
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  disk.fill();
  const auto path = journal_path(disk.file("chronos.json"), 1);
  auto journal = journal_writer::create(path, 1);
  REQUIRE_FALSE(journal);
  CHECK_FALSE(std::ifstream{path}.good());
  disk.free();
  CHECK(journal_writer::create(path, 1));
}

TEST_CASE("a state file behind a symbolic link is the file the link points to") {
  test::temp_dir dir;
  const auto target = dir.file("volume-chronos.json");
  const auto link = dir.file("chronos.json");
  auto first_run = resolve_state_path(link);
  REQUIRE(first_run);
  CHECK(*first_run == link);
  std::filesystem::create_symlink(target, link);
  auto dangling = resolve_state_path(link);
  REQUIRE_FALSE(dangling);
  CHECK_THAT(dangling.error().detail,
             Catch::Contains("symbolic link to '" + target + "'") && Catch::Contains("mounted"));
  test::spit(target, "");
  auto live = resolve_state_path(link);
  REQUIRE(live);
  CHECK(*live == std::filesystem::canonical(target).string());
}

TEST_CASE("a state file is held to the limits in force, as requests are") {
  struct bad_case {
    std::string name;
    std::size_t payload_bytes;
    const char* why;
  };
  const std::vector<bad_case> cases{
    {"ends-in/", 0, "ends in '/'"},
    {std::string(300, 'n'), 0, "name longer than 256 bytes"},
    {"n", 70'000, "payload larger than 65536 bytes"},
    {"two\nlines", 0, "control character"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    test::temp_dir dir;
    const auto state = dir.file("chronos.json");
    const token tok{1, 7};
    snapshot s;
    s.saved_at = t0;
    s.pending.push_back(timeout{t0 + millis{10}, tok, c.name, std::string(c.payload_bytes, 'p'),
                                millis{0}, {}});
    REQUIRE(save_state(state, s));
    server_state r_state = fresh();
    auto r = recover(state, r_state, durability::always);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().detail, Catch::Contains(state) && Catch::Contains(tok.str())
                                   && Catch::Contains(c.why)
                                   && Catch::Contains("a limit in force"));
    CHECK(*list_journals(state) == std::vector<std::uint64_t>{});
  }
  // Raised limits load what they allow.
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  snapshot s;
  s.pending.push_back(
    timeout{t0, token{1, 7}, std::string(300, 'n'), std::string(70'000, 'p'), millis{0}, {}});
  REQUIRE(save_state(state, s));
  server_limits raised;
  raised.max_name_bytes = 512;
  raised.max_payload_bytes = 100'000;
  server_state r_state{token_generator{1}, raised};
  auto r = recover(state, r_state, durability::always);
  REQUIRE(r);
  CHECK(r_state.stats().pending == 1);
}

TEST_CASE("a journal is held to the limits in force, as requests are") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  const auto path = journal_path(state, 0);
  auto journal = journal_writer::create(path, 0);
  REQUIRE(journal);
  const token tok{1, 9};
  std::string records;
  append_record(records, change{change::op::schedule, tok,
                                timeout{t0, tok, std::string(300, 'n'), "", millis{0}, {}}, {}, {}});
  REQUIRE(journal->append(records));
  REQUIRE(journal->sync());
  server_state r_state = fresh();
  auto r = recover(state, r_state, durability::always);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, Catch::StartsWith("journal '" + path + "', record 1: timeout "
                                                 + tok.str() + ": name longer than 256 bytes"));
}
