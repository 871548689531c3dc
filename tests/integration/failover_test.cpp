// chronosd on a shared PostgreSQL store: one leads by lease, others stand
// by and take over; a leader that lost its lease writes and delivers
// nothing. Each test starts its own PostgreSQL server.

#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <nlohmann/json.hpp>

#include "../support/chronosd_process.hpp"
#include "../support/postgres_server.hpp"

using namespace chronos::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Generous against sanitizer builds: a lease of 1 s is renewed every 333 ms.
const std::string lease = "1s";

chronosd_process start_on(const temp_dir& dir, const postgres_server& pg,
                          std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--store", pg.url(), "--lease", lease};
  args.insert(args.end(), more.begin(), more.end());
  return chronosd_process::launch(dir, args);
}

json stats_of(const temp_dir& dir, std::uint16_t port) {
  return json::parse(ctl_ok(dir, port, {"stats", "--json"}));
}

// Waits until the chronosd at `port` has the role `role`.
void await_role(const temp_dir& dir, std::uint16_t port, const std::string& role,
                std::chrono::seconds limit = 30s) {
  std::string seen;
  const bool reached = wait_until(
    [&] {
      seen = stats_of(dir, port)["role"].get<std::string>();
      return seen == role;
    },
    limit, 50ms);
  INFO("chronosd at port " << port << " is " << seen << ", not " << role);
  REQUIRE(reached);
}

struct two_servers {
  chronosd_process leader;
  chronosd_process standby;
};

// A leader, then a standby behind it.
two_servers leader_and_standby(const temp_dir& dir, const postgres_server& pg) {
  auto a = start_on(dir, pg);
  await_role(dir, a.port, "leader");
  auto b = start_on(dir, pg);
  await_role(dir, b.port, "standby");
  return {std::move(a), std::move(b)};
}

// A connection of the test's own that holds the lease row locked.
class lease_row_lock {
public:
  explicit lease_row_lock(const postgres_server& pg)
    : conn_(PQconnectdb(pg.url().c_str()), &PQfinish) {
    REQUIRE(PQstatus(conn_.get()) == CONNECTION_OK);
    exec("BEGIN");
    exec("SELECT * FROM chronos_lease FOR UPDATE");
  }
  void exec(const char* sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r{PQexec(conn_.get(), sql), &PQclear};
    INFO(sql << ": " << PQresultErrorMessage(r.get()));
    REQUIRE((PQresultStatus(r.get()) == PGRES_COMMAND_OK
             || PQresultStatus(r.get()) == PGRES_TUPLES_OK));
  }

private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

} // namespace

TEST_CASE("failover: a standby names the leader, and takes over when the leader is killed") {
  postgres_server pg;
  temp_dir dir;
  auto servers_up = leader_and_standby(dir, pg);
  auto& a = servers_up.leader;
  auto& b = servers_up.standby;
  const auto leader_address = "127.0.0.1:" + std::to_string(a.port);
  CHECK(ctl_until(dir, b.port, {"health"}, [&](const std::string& out) {
          return out.find("leader at " + leader_address) != std::string::npos;
        }).find("stands by") != std::string::npos);
  auto refused = ctl(dir, b.port, {"schedule", "n", "--in", "1h"});
  CHECK(refused.status != 0);
  CHECK(refused.err.find("stands by; the leader is at " + leader_address) != std::string::npos);
  const auto a_stats = stats_of(dir, a.port);
  CHECK(a_stats["epoch"] == 1);
  CHECK(a_stats["leader"] == leader_address);

  deadlines at;
  const auto soon = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(1500ms),
                                              "--payload", "soon"}));
  const auto later = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(2500ms),
                                               "--payload", "later"}));
  const auto pending = trim(ctl_ok(dir, a.port, {"schedule", "w", "--in", "1h"}));
  a.proc->signal(SIGKILL);
  REQUIRE(a.proc->wait(10s));

  await_role(dir, b.port, "leader");
  CHECK(stats_of(dir, b.port)["epoch"] == 2);
  // What came due while no one led is delivered now, each once.
  auto watched = ctl(dir, b.port, {"watch", "w", "--count", "2", "--json"}, 60s);
  INFO(watched.err);
  REQUIRE(watched.status == 0);
  const auto got = lines(watched.out);
  REQUIRE(got.size() == 2);
  CHECK(json::parse(got[0])["token"] == soon);
  CHECK(json::parse(got[1])["token"] == later);
  const auto listed = ctl_ok(dir, b.port, {"list"});
  CHECK(listed.find(pending) != std::string::npos);
  CHECK(listed.find(soon) == std::string::npos);
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == "1");
}

TEST_CASE("failover: a batch in flight when another takes the lease does not commit") {
  postgres_server pg;
  temp_dir dir;
  auto a = start_on(dir, pg, {"--lease", "3s"});
  await_role(dir, a.port, "leader");
  std::optional<lease_row_lock> lock{pg};
  // The schedule's batch waits for the lease row, which the test holds.
  process client{{CHRONOSCTL_PATH, "--port", std::to_string(a.port), "--timeout", "20s",
                  "schedule", "late", "--in", "1h"},
                 dir, "client"};
  std::this_thread::sleep_for(500ms);
  // Another takes the lease while the batch waits.
  lock->exec("UPDATE chronos_lease SET epoch = epoch + 1, holder = 'another', "
             "expires_at = clock_timestamp() + interval '1 hour'");
  lock->exec("COMMIT");
  lock.reset();
  const auto status = client.wait(30s);
  REQUIRE(status);
  CHECK(*status != 0);
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == "0");
  await_role(dir, a.port, "standby");
}

TEST_CASE("failover: a paused leader neither writes nor delivers once another leads") {
  postgres_server pg;
  temp_dir dir;
  auto a = start_on(dir, pg);
  await_role(dir, a.port, "leader");
  // A watcher of `w` on the leader, and a timeout for it due while it is paused.
  process watcher{{CHRONOSCTL_PATH, "--port", std::to_string(a.port), "--timeout", "20s",
                   "watch", "w", "--count", "1"},
                  dir, "watcher"};
  REQUIRE(wait_until([&] { return stats_of(dir, a.port)["names"] == 1; }, 20s));
  deadlines at;
  const auto due = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(3000ms)}));
  auto b = start_on(dir, pg);
  a.proc->signal(SIGSTOP);
  await_role(dir, b.port, "leader");
  const auto taken = trim(ctl_ok(dir, b.port, {"schedule", "z", "--in", "1h"}));
  // Past the deadline: the new leader parks it (no watcher there).
  REQUIRE(wait_until([&] { return stats_of(dir, b.port)["parked"] == 1; }, 30s, 100ms));
  const auto rows = pg.query("SELECT string_agg(token || ':' || parked, ',' ORDER BY token) "
                             "FROM chronos_timeouts");
  a.proc->signal(SIGCONT);
  await_role(dir, a.port, "standby");
  std::this_thread::sleep_for(1s);
  CHECK(watcher.out().empty()); // the old leader delivered nothing
  CHECK_FALSE(watcher.wait(0ms));
  CHECK(pg.query("SELECT string_agg(token || ':' || parked, ',' ORDER BY token) "
                 "FROM chronos_timeouts")
        == rows);
  CHECK(rows.find(due + ":t") != std::string::npos);
  CHECK(rows.find(taken + ":f") != std::string::npos);
  CHECK(pg.query("SELECT epoch FROM chronos_lease") == "2");
  CHECK(a.proc->err().find("standing by after leading (epoch 1)") != std::string::npos);
}

TEST_CASE("failover: a database that is down, unknown or too new stops the start") {
  postgres_server pg;
  temp_dir dir;
  pg.query("CREATE TABLE chronos_schema (only_row boolean PRIMARY KEY DEFAULT true, "
           "version integer NOT NULL); INSERT INTO chronos_schema (version) VALUES (9)");
  auto newer = run({CHRONOSD_PATH, "--port", "0", "--store", pg.url()}, dir);
  CHECK(newer.status == 1);
  CHECK(newer.err.find("schema version 9, newer than this chronosd") != std::string::npos);

  auto missing = run({CHRONOSD_PATH, "--port", "0", "--store", pg.url("nowhere")}, dir);
  CHECK(missing.status == 1);
  CHECK(missing.err.find("\"nowhere\" does not exist") != std::string::npos);

  pg.stop_now();
  auto down = run({CHRONOSD_PATH, "--port", "0", "--store",
                   "postgresql://chronos:s3cret@127.0.0.1:" + std::to_string(pg.port()) + "/chronos"},
                  dir);
  CHECK(down.status == 1);
  CHECK(down.err.find("cannot connect") != std::string::npos);
  CHECK(down.err.find("s3cret") == std::string::npos);
  CHECK(down.out.find("listening") == std::string::npos);
}

TEST_CASE("failover: the leader refuses changes while the database is down and goes on after") {
  postgres_server pg;
  temp_dir dir;
  auto a = start_on(dir, pg, {"--lease", "3s"});
  await_role(dir, a.port, "leader");
  const auto kept = trim(ctl_ok(dir, a.port, {"schedule", "n", "--in", "1h"}));
  pg.stop_now();
  auto refused = ctl(dir, a.port, {"schedule", "n", "--in", "2h"});
  CHECK(refused.status != 0);
  pg.start();
  // Leading again (the same epoch, or a new one after the lease lapsed).
  std::string added;
  REQUIRE(wait_until(
    [&] {
      auto r = ctl(dir, a.port, {"schedule", "n", "--in", "3h"});
      added = trim(r.out);
      return r.status == 0;
    },
    60s, 200ms));
  const auto listed = ctl_ok(dir, a.port, {"list", "n"});
  CHECK(listed.find(kept) != std::string::npos);
  CHECK(listed.find(added) != std::string::npos);
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == std::to_string(lines(listed).size()));
}

TEST_CASE("failover: a state file moves into the store and back out") {
  postgres_server pg;
  temp_dir dir;
  std::vector<std::string> tokens;
  {
    auto file = chronosd_process::start(dir, dir.file("chronos.json"));
    for (const auto& name : {"a", "b", "c"})
      tokens.push_back(trim(ctl_ok(dir, file.port, {"schedule", name, "--in", "1h",
                                                    "--payload", std::string{"p-"} + name})));
    REQUIRE(file.stop() == 0);
  }
  auto imported = run({CHRONOSD_PATH, "--store", pg.url(), "--import", dir.file("chronos.json")},
                      dir);
  INFO(imported.err);
  REQUIRE(imported.status == 0);
  CHECK(imported.out.find("imported 3 pending and 0 parked") != std::string::npos);
  auto again = run({CHRONOSD_PATH, "--store", pg.url(), "--import", dir.file("chronos.json")}, dir);
  CHECK(again.status == 1);
  CHECK(again.err.find("not empty") != std::string::npos);
  {
    auto shared = start_on(dir, pg);
    await_role(dir, shared.port, "leader");
    const auto listed = ctl_ok(dir, shared.port, {"list"});
    for (const auto& t : tokens)
      CHECK(listed.find(t) != std::string::npos);
    REQUIRE(shared.stop() == 0);
  }
  auto exported = run({CHRONOSD_PATH, "--store", pg.url(), "--export", dir.file("out.json")}, dir);
  INFO(exported.err);
  REQUIRE(exported.status == 0);
  auto back = chronosd_process::start(dir, dir.file("out.json"));
  const auto listed = ctl_ok(dir, back.port, {"list", "--json"});
  for (const auto& t : tokens)
    CHECK(listed.find(t) != std::string::npos);
  CHECK(listed.find("p-b") != std::string::npos);
  auto over = run({CHRONOSD_PATH, "--store", pg.url(), "--export", dir.file("out.json")}, dir);
  CHECK(over.status == 1);
}

TEST_CASE("failover: chronosctl finds the leader, and a watch follows it to the next one") {
  postgres_server pg;
  temp_dir dir;
  auto servers_up = leader_and_standby(dir, pg);
  auto& a = servers_up.leader;
  auto& b = servers_up.standby;
  const auto servers = "127.0.0.1:" + std::to_string(b.port) + ",127.0.0.1:"
                       + std::to_string(a.port);
  // The standby first in the list: chronosctl moves on to the leader.
  auto added = run({CHRONOSCTL_PATH, "--servers", servers, "--timeout", "20s", "schedule", "x",
                    "--in", "1h"},
                   dir);
  INFO(added.err);
  REQUIRE(added.status == 0);
  ::setenv("CHRONOS_SERVERS", servers.c_str(), 1);
  auto counted = run({CHRONOSCTL_PATH, "--timeout", "20s", "count", "x"}, dir);
  ::unsetenv("CHRONOS_SERVERS");
  INFO(counted.err);
  CHECK(trim(counted.out) == "1");
  auto conflicting = run({CHRONOSCTL_PATH, "--servers", servers, "--port", "1", "health"}, dir);
  CHECK(conflicting.status == 2);

  process watcher{{CHRONOSCTL_PATH, "--servers", servers, "--timeout", "20s", "watch", "w",
                   "--count", "3", "--json"},
                  dir, "watcher"};
  REQUIRE(wait_until([&] { return stats_of(dir, a.port)["names"] == 1; }, 20s));
  deadlines at;
  const auto first = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(500ms)}));
  REQUIRE(watcher.wait_for_output(first, 20s));
  const auto second = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(2500ms)}));
  const auto third = trim(ctl_ok(dir, a.port, {"schedule", "w", "--at", at.after(4000ms)}));
  a.proc->signal(SIGKILL);
  REQUIRE(a.proc->wait(10s));
  const auto status = watcher.wait(60s);
  INFO(watcher.err());
  REQUIRE(status);
  CHECK(*status == 0);
  const auto got = lines(watcher.out());
  REQUIRE(got.size() == 3);
  CHECK(json::parse(got[0])["token"] == first);
  CHECK(json::parse(got[1])["token"] == second);
  CHECK(json::parse(got[2])["token"] == third);
}

TEST_CASE("failover: a keyed schedule sent again to the next leader is made once") {
  postgres_server pg;
  temp_dir dir;
  auto servers_up = leader_and_standby(dir, pg);
  auto& a = servers_up.leader;
  auto& b = servers_up.standby;
  const auto first = trim(ctl_ok(dir, a.port, {"schedule", "orders", "--in", "1h", "--key",
                                               "order-7"}));
  CHECK(trim(ctl_ok(dir, a.port, {"schedule", "orders", "--in", "2h", "--key", "order-7"}))
        == first);
  a.proc->signal(SIGKILL);
  REQUIRE(a.proc->wait(10s));
  await_role(dir, b.port, "leader");
  // As a client would after losing the answer: the same request, to the new leader.
  CHECK(trim(ctl_ok(dir, b.port, {"schedule", "orders", "--in", "1h", "--key", "order-7"}))
        == first);
  CHECK(trim(ctl_ok(dir, b.port, {"count", "orders"})) == "1");
  CHECK(trim(ctl_ok(dir, b.port, {"schedule", "orders", "--in", "1h", "--key", "order-8"}))
        != first);
  CHECK(pg.query("SELECT string_agg(key, ',' ORDER BY key) FROM chronos_timeouts")
        == "order-7,order-8");
}
