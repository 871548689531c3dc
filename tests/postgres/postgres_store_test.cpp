// The PostgreSQL store against a real server that each test starts itself.

#include <catch2/catch.hpp>

#include <thread>

#include "../support/calendar.hpp"
#include "../support/postgres_server.hpp"
#include "../support/server_state_helpers.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/store/postgres_store.hpp"
#include "store/postgres/schema.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

postgres_options options_for(const postgres_server& pg, const std::string& holder,
                             millis lease = millis{5000}) {
  return {pg.url(), lease, holder, holder + ".example:4242", durability::always};
}

postgres_store must_open(postgres_options opt) {
  auto store = postgres_store::open(std::move(opt));
  INFO((store ? "" : store.error().detail));
  REQUIRE(store);
  return std::move(*store);
}

lease_info must(outcome<lease_info> l) {
  INFO((l ? "" : l.error().detail));
  REQUIRE(l);
  return *l;
}

std::shared_ptr<change_log> must(outcome<std::shared_ptr<change_log>> log) {
  INFO((log ? "" : log.error().detail));
  REQUIRE(log);
  return *log;
}

void require_ok(const status& s) {
  INFO((s ? "" : s.error().detail));
  REQUIRE(s);
}

timeout make_timeout(std::uint64_t n, std::string name, std::string payload,
                     millis interval = millis{0}) {
  return {at(static_cast<std::int64_t>(n) * 1000), token{n, n * 7919}, std::move(name),
          std::move(payload), interval, interval.count() ? misfire_policy::all : misfire_policy::once};
}

change schedule_of(const timeout& t) { return {change::op::schedule, t.token, t, {}, {}}; }
change park_of(const timeout& t) { return {change::op::park, t.token, t, {}, {}}; }
change on_token(change::op what, const timeout& t, timestamp deadline = {}) {
  return {what, t.token, {}, deadline, {}};
}

std::string encoded(const change_log& log, const std::vector<change>& changes) {
  std::string batch;
  for (const auto& c : changes)
    log.encode(batch, c);
  return batch;
}

snapshot loaded_from(postgres_store& store) {
  server_state back;
  require_ok(store.load(back));
  return back.collect(timestamp{});
}

snapshot replayed(const std::vector<change>& changes) {
  server_state model;
  for (const auto& c : changes)
    require_ok(model.apply(c));
  return model.collect(timestamp{});
}

} // namespace

TEST_CASE("postgres store: creates its tables once, and refuses a newer schema") {
  postgres_server pg;
  {
    auto store = must_open(options_for(pg, "a"));
    CHECK(pg.query("SELECT version FROM chronos_schema")
          == std::to_string(postgres_schema_version));
  }
  {
    auto again = must_open(options_for(pg, "b")); // finds them, creates nothing
    CHECK(pg.query("SELECT count(*) FROM chronos_schema") == "1");
  }
  const auto next = std::to_string(postgres_schema_version + 1);
  pg.query("UPDATE chronos_schema SET version = " + next);
  auto newer = postgres_store::open(options_for(pg, "c"));
  REQUIRE_FALSE(newer);
  CHECK(newer.error().detail.find("schema version " + next + ", newer than this chronosd")
        != std::string::npos);
}

TEST_CASE("postgres store: a database that cannot be reached is an error, in time") {
  postgres_server pg;
  auto opt = options_for(pg, "a");
  opt.url = pg.url("no_such_database");
  auto missing = postgres_store::open(opt);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail.find("no_such_database") != std::string::npos);

  pg.stop_now();
  const auto started = std::chrono::steady_clock::now();
  auto down = postgres_store::open(options_for(pg, "a"));
  REQUIRE_FALSE(down);
  CHECK(down.error().detail.find("cannot connect") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("postgres store: a password in the URL never shows in a log line") {
  CHECK(redacted_url("postgresql://chronos:s3cret@db:5432/chronos")
        == "postgresql://chronos:***@db:5432/chronos");
  CHECK(redacted_url("postgresql://db/chronos?user=c&password=s3cret&sslmode=require")
        == "postgresql://db/chronos?user=c&password=***&sslmode=require");
  CHECK(redacted_url("host=db password=s3cret dbname=chronos")
        == "host=db password=*** dbname=chronos");
  CHECK(redacted_url("postgresql://chronos@db/chronos") == "postgresql://chronos@db/chronos");
}

TEST_CASE("postgres store: one holds the lease, others see who, and take it when it is free") {
  postgres_server pg;
  auto a = must_open(options_for(pg, "a"));
  auto b = must_open(options_for(pg, "b"));
  const auto first = must(a.try_acquire());
  CHECK(first.held);
  CHECK(first.epoch == 1);
  const auto seen = must(b.try_acquire());
  CHECK_FALSE(seen.held);
  CHECK(seen.holder == "a");
  CHECK(seen.address == "a.example:4242");
  CHECK(seen.epoch == 1);
  CHECK(must(a.renew(1)).held);

  require_ok(a.release(1));
  const auto taken = must(b.try_acquire());
  CHECK(taken.held);
  CHECK(taken.epoch == 2);
  CHECK_FALSE(must(a.renew(1)).held); // the old epoch is over
}

TEST_CASE("postgres store: an expired lease is taken by the database's clock") {
  postgres_server pg;
  auto a = must_open(options_for(pg, "a", millis{600}));
  auto b = must_open(options_for(pg, "b", millis{600}));
  REQUIRE(must(a.try_acquire()).held);
  REQUIRE_FALSE(must(b.try_acquire()).held);
  std::this_thread::sleep_for(1200ms); // no renewal: it runs out
  const auto taken = must(b.try_acquire());
  CHECK(taken.held);
  CHECK(taken.epoch == 2);
  CHECK_FALSE(must(a.renew(1)).held); // too late: a renewal does not bring it back
}

TEST_CASE("postgres store: batches of every kind of change load back as the state they make") {
  postgres_server pg;
  auto store = must_open(options_for(pg, "a"));
  const auto lease = must(store.try_acquire());
  auto log = must(store.open_log(lease.epoch));

  const auto once = make_timeout(1, "orders", std::string{"nul\0byte \"quoted\" \\ ü", 23});
  const auto every = make_timeout(2, "reports/daily", "", millis{60000});
  const auto moved = make_timeout(3, "payments", "{\"id\":7}");
  const auto gone = make_timeout(4, "orders", "cancelled later");
  const auto fired = make_timeout(5, "mail", "x");
  const auto parked_once = make_timeout(6, "sleepy", "parked, then moved back");
  const std::vector<std::vector<change>> batches{
    {schedule_of(once), schedule_of(every), schedule_of(moved), schedule_of(gone),
     schedule_of(fired), schedule_of(parked_once)},
    {on_token(change::op::reschedule, moved, at(90'000)), on_token(change::op::cancel, gone),
     on_token(change::op::fire, fired), park_of(fired), on_token(change::op::deliver, fired)},
    // A recurring timeout is pending and has a parked occurrence at once.
    {park_of(every), on_token(change::op::rearm, every, at(62'000)),
     on_token(change::op::fire, parked_once), park_of(parked_once)},
    {on_token(change::op::reschedule, parked_once, at(120'000))},
  };
  std::vector<change> all;
  for (const auto& b : batches) {
    require_ok(log->append(encoded(*log, b)));
    all.insert(all.end(), b.begin(), b.end());
  }
  require_ok(log->sync());
  const auto back = loaded_from(store);
  const auto model = replayed(all);
  CHECK(back.pending == model.pending);
  CHECK(back.parked == model.parked);
  REQUIRE(back.pending.size() == 4);
  REQUIRE(back.parked.size() == 1);
  CHECK(back.parked[0].token == every.token);
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts WHERE position('\\x00'::bytea in payload) > 0")
        == "1");
  CHECK(pg.query("SELECT batches FROM chronos_lease") == "4");
}

TEST_CASE("postgres store: a leader whose lease was taken writes nothing more") {
  postgres_server pg;
  auto a = must_open(options_for(pg, "a"));
  auto b = must_open(options_for(pg, "b"));
  REQUIRE(must(a.try_acquire()).held);
  auto old_log = must(a.open_log(1));
  const auto kept = make_timeout(1, "kept", "");
  require_ok(old_log->append(encoded(*old_log, {schedule_of(kept)})));

  require_ok(a.release(1)); // as if it had expired while `a` was paused
  REQUIRE(must(b.try_acquire()).held);
  const auto late = make_timeout(2, "late", "");
  auto refused = old_log->append(encoded(*old_log, {schedule_of(late),
                                                    on_token(change::op::cancel, kept)}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().detail.find("another chronosd has taken the lease") != std::string::npos);
  CHECK(pg.query("SELECT string_agg(name, ',') FROM chronos_timeouts") == "kept");
  CHECK_FALSE(a.open_log(1)); // nor can it start writing again under that epoch

  auto new_log = must(b.open_log(2));
  require_ok(new_log->append(encoded(*new_log, {schedule_of(late)})));
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == "2");
}

TEST_CASE("postgres store: interval mode commits at once and flushes on sync") {
  postgres_server pg;
  auto opt = options_for(pg, "a");
  opt.mode = durability::interval;
  auto store = must_open(opt);
  REQUIRE(must(store.try_acquire()).held);
  auto log = must(store.open_log(1));
  const auto t = make_timeout(1, "n", "p");
  require_ok(log->append(encoded(*log, {schedule_of(t)})));
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == "1");
  require_ok(log->sync());
  CHECK(pg.query("SELECT batches FROM chronos_lease") == "2");
}

TEST_CASE("postgres store: the log goes on after the database restarts") {
  postgres_server pg;
  auto store = must_open(options_for(pg, "a"));
  REQUIRE(must(store.try_acquire()).held);
  auto log = must(store.open_log(1));
  require_ok(log->append(encoded(*log, {schedule_of(make_timeout(1, "n", ""))})));
  pg.stop_now();
  CHECK_FALSE(log->append(encoded(*log, {schedule_of(make_timeout(2, "n", ""))})));
  pg.start();
  // A new connection; the failed batch was not written.
  require_ok(log->append(encoded(*log, {schedule_of(make_timeout(3, "n", ""))})));
  CHECK(pg.query("SELECT string_agg(deadline_ms::text, ',' ORDER BY deadline_ms) "
                 "FROM chronos_timeouts")
        == std::to_string(to_epoch_ms(at(1000))) + "," + std::to_string(to_epoch_ms(at(3000))));
}

TEST_CASE("postgres store: import fills an empty store and refuses a full one") {
  postgres_server pg;
  auto store = must_open(options_for(pg, "a"));
  REQUIRE(must(store.try_acquire()).held);
  server_state source;
  for (std::uint64_t n = 1; n <= 25'000; ++n)
    require_ok(source.add(make_timeout(n, "bulk/" + std::to_string(n % 7), std::to_string(n)),
                          n % 5 == 0 ? snapshot_list::parked : snapshot_list::pending));
  require_ok(store.import(source, 1));
  CHECK(*store.count() == 25'000);
  const auto back = loaded_from(store);
  const auto want = source.collect(timestamp{});
  CHECK(back.pending == want.pending);
  CHECK(back.parked == want.parked);

  auto again = store.import(source, 1);
  REQUIRE_FALSE(again);
  CHECK(again.error().detail.find("not empty") != std::string::npos);
}

TEST_CASE("postgres store: rows that a person broke are refused on load, by token") {
  postgres_server pg;
  auto store = must_open(options_for(pg, "a"));
  REQUIRE(must(store.try_acquire()).held);
  auto log = must(store.open_log(1));
  const auto t = make_timeout(1, "n", "");
  require_ok(log->append(encoded(*log, {schedule_of(t)})));
  pg.query("UPDATE chronos_timeouts SET misfire = 'sometimes'");
  server_state back;
  auto loaded = store.load(back);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().detail.find(t.token.str()) != std::string::npos);
  CHECK(loaded.error().detail.find("misfire") != std::string::npos);
}

TEST_CASE("postgres store: keys are stored, and tables of version 1 are migrated") {
  postgres_server pg;
  // Version 1 tables, as an older chronosd made them, holding one timeout.
  pg.query(detail::pg_sql::create_v1);
  pg.query("INSERT INTO chronos_timeouts VALUES (0, '" + token{1, 2}.str()
           + "', false, 'old', 1000, 0, 'once', '\\x')");
  auto store = must_open(options_for(pg, "a"));
  CHECK(pg.query("SELECT version FROM chronos_schema") == "4");
  REQUIRE(must(store.try_acquire()).held);
  auto log = must(store.open_log(1));
  auto t = make_timeout(3, "orders", "x");
  t.key = "order \"7\"";
  require_ok(log->append(encoded(*log, {schedule_of(t)})));
  CHECK(pg.query("SELECT key FROM chronos_timeouts WHERE name = 'orders'") == "order \"7\"");
  const auto back = loaded_from(store);
  REQUIRE(back.pending.size() == 2);
  CHECK(back.pending[0].name == "old");
  CHECK(back.pending[0].key.empty());
  CHECK(back.pending[1] == t);
}

TEST_CASE("postgres store: calendars are stored as cron and tz, and a broken one is refused") {
  postgres_server pg;
  auto store = must_open(options_for(pg, "a"));
  REQUIRE(must(store.try_acquire()).held);
  auto log = must(store.open_log(1));
  auto weekdays = make_timeout(1, "reports", "");
  weekdays.calendar = calendar_of("0 0 9 * * MON-FRI", "Europe/Berlin");
  auto hourly = make_timeout(2, "ticks", "p");
  hourly.calendar = calendar_of("@hourly");
  hourly.misfire = misfire_policy::skip;
  hourly.jitter = millis{60'000};
  hourly.delay = millis{59'999};
  // The first batch holds schedules alone (one INSERT), the second a park.
  require_ok(log->append(encoded(*log, {schedule_of(weekdays), schedule_of(hourly)})));
  require_ok(log->append(encoded(*log, {park_of(weekdays)})));
  hourly.prev = hourly.deadline;
  hourly.deadline += millis{3'600'000};
  hourly.delay = millis{7};
  require_ok(log->append(
    encoded(*log, {{change::op::rearm, hourly.token, {}, hourly.deadline, {}, hourly.delay}})));
  CHECK(pg.query("SELECT cron || ' in ' || tz FROM chronos_timeouts WHERE name = 'reports' "
                 "AND parked")
        == "0 0 9 * * MON-FRI in Europe/Berlin");
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts WHERE cron IS NULL") == "0");
  const auto back = loaded_from(store);
  REQUIRE(back.pending.size() == 2);
  CHECK(back.pending[0] == weekdays);
  CHECK(back.pending[1] == hourly);
  REQUIRE(back.parked.size() == 1);
  CHECK(back.parked[0] == weekdays);
  pg.query("UPDATE chronos_timeouts SET tz = 'Europe/Atlantis' WHERE name = 'ticks'");
  server_state broken;
  auto loaded = store.load(broken);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().detail.find(hourly.token.str()) != std::string::npos);
  CHECK(loaded.error().detail.find("Europe/Atlantis") != std::string::npos);
}
