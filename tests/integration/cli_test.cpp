#include "../support/cli_fixture.hpp"
#include "../support/loopback.hpp"

#include <nlohmann/json.hpp>

#include "chronos/server/server.hpp"

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE_METHOD(cli_fixture, "timeouts scheduled with chronosctl reach a watcher in deadline order") {
  const deadlines t;
  auto c = schedule("w", {"--at", t.after(1500ms), "--payload", "third"});
  auto a = schedule("w", {"--at", t.after(500ms), "--payload", "first"});
  auto b = schedule("w", {"--at", t.after(1s), "--payload", "second"});
  CHECK(watch("w", 3) == std::vector<std::string>{a + " first", b + " second", c + " third"});
}

TEST_CASE_METHOD(cli_fixture, "an absolute time in the past fires at once, RFC 3339 and epoch ms both work") {
  auto a = schedule("w", {"--at", "2020-01-01T00:00:00Z", "--payload", "rfc"});
  auto b = schedule("w", {"--at", "1577836800001", "--payload", "epoch"});
  CHECK(watch("w", 2) == std::vector<std::string>{a + " rfc", b + " epoch"});
}

TEST_CASE_METHOD(cli_fixture, "a cancelled timeout is never delivered and its token is then unknown") {
  auto gone = schedule("w", {"--in", "300ms", "--payload", "cancelled"});
  auto kept = schedule("w", {"--in", "600ms", "--payload", "kept"});
  ctl_ok(dir, d.port, {"cancel", gone});
  CHECK(watch("w", 1) == std::vector<std::string>{kept + " kept"});
  auto again = fails({"cancel", gone});
  CHECK(again.status == 1);
  CHECK(again.err.find("unknown token") != std::string::npos);
}

TEST_CASE_METHOD(cli_fixture, "a rescheduled timeout moves ahead of another") {
  const deadlines t;
  auto late = schedule("w", {"--in", "1h", "--payload", "moved"});
  auto soon = schedule("w", {"--at", t.after(800ms), "--payload", "soon"});
  ctl_ok(dir, d.port, {"reschedule", late, "--at", t.after(300ms)});
  CHECK(watch("w", 2) == std::vector<std::string>{late + " moved", soon + " soon"});
  auto unknown = fails({"reschedule", late, "--in", "1s"});
  CHECK(unknown.status == 1);
}

TEST_CASE_METHOD(cli_fixture, "a recurring timeout repeats with the same token until cancelled") {
  auto tok = schedule("w", {"--in", "200ms", "--every", "200ms", "--payload", "tick"});
  CHECK(watch("w", 3) == std::vector<std::string>(3, tok + " tick"));
  ctl_ok(dir, d.port, {"cancel", tok});
  CHECK(trim(ctl_ok(dir, d.port, {"list"})).empty());
}

TEST_CASE_METHOD(cli_fixture, "payloads with spaces and non-ASCII text come back unchanged") {
  auto tok = schedule("w", {"--in", "10ms", "--payload", "grüße, 世界 \"quoted\""});
  auto got = watch("w", 1, true);
  REQUIRE(got.size() == 1);
  auto line = json::parse(got[0]);
  CHECK(line["token"] == tok);
  CHECK(line["payload"] == "grüße, 世界 \"quoted\"");
  CHECK(line["name"] == "w");
  CHECK(line["delivered_ms"].get<std::int64_t>() >= line["deadline_ms"].get<std::int64_t>());
}

TEST_CASE_METHOD(cli_fixture, "list --json and stats --json have the documented shape") {
  auto b = schedule("b", {"--in", "2h"});
  auto a = schedule("a", {"--in", "1h", "--every", "30m", "--payload", "p"});
  auto rows = json::parse(ctl_ok(dir, d.port, {"list", "--json"}));
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["token"] == a);
  CHECK(rows[0]["name"] == "a");
  CHECK(rows[0]["payload"] == "p");
  CHECK(rows[0]["interval_ms"] == 1'800'000);
  CHECK(rows[1]["token"] == b);
  CHECK(rows[1]["deadline_ms"].get<std::int64_t>() - rows[0]["deadline_ms"].get<std::int64_t>()
        == Approx(3'600'000).margin(5'000));
  auto only_b = json::parse(ctl_ok(dir, d.port, {"list", "b", "--json"}));
  CHECK(only_b.size() == 1);
  ctl_ok(dir, d.port, {"cancel", b});
  auto stats = json::parse(ctl_ok(dir, d.port, {"stats", "--json"}));
  for (const char* key : {"pending", "fired", "cancelled", "parked"})
    CHECK(stats.contains(key));
  CHECK(stats["pending"] == 1);
  CHECK(stats["cancelled"] == 1);
  CHECK(stats["parked"] == 0);
}

TEST_CASE_METHOD(cli_fixture, "bad input is refused with a message and a non-zero status") {
  struct bad_case {
    std::vector<std::string> args;
    int status;
    const char* message;
  };
  const std::vector<bad_case> cases{
    {{"schedule", "w", "--in", "5parsecs"}, 2, "duration '5parsecs'"},
    {{"schedule", "w", "--in", "-3s"}, 2, "negative"},
    {{"schedule", "w", "--in", ""}, 2, "empty"},
    {{"schedule", "", "--in", "1s"}, 2, "empty name"},
    {{"schedule", "two\nlines", "--in", "1s"}, 1, "control character at byte 3"},
    {{"schedule", "\x1b[2Jw", "--in", "1s"}, 1, "control character at byte 0"},
    {{"schedule", "w"}, 2, "exactly one of --in"},
    {{"schedule", "w", "--in", "1s", "--at", "0"}, 2, "exactly one of --in"},
    {{"schedule", "w", "--at", "tomorrow"}, 2, "time 'tomorrow'"},
    {{"schedule", "w", "--in", "1s", "--every", "0s"}, 2, "--every"},
    {{"schedule", "w", "--in", "1s", "--colour", "red"}, 2, "unknown option --colour"},
    {{"schedule", "w", "--in", "1s", "--every", "1s", "--misfire", "often"}, 2,
     "unknown misfire policy 'often'"},
    {{"schedule", "w", "--in", "1s", "--misfire", "all"}, 2, "--misfire needs --every or --cron"},
    {{"schedule", "w", "--tz", "Europe/Berlin", "--in", "1s"}, 2, "--tz needs --cron"},
    {{"schedule", "w", "--cron", "@daily", "--every", "1h"}, 2, "--every or --cron, not both"},
    {{"schedule", "w", "--cron", "5 parsecs"}, 1, "cron: a cron expression has six fields"},
    {{"schedule", "w", "--cron", "0 0 0 30 2 *"}, 1, "never matches"},
    {{"schedule", "w", "--cron", "@daily", "--tz", "Europe/Atlantis"}, 1,
     "unknown time zone 'Europe/Atlantis'"},
    {{"frobnicate"}, 2, "unknown command"},
    {{}, 2, "no command"},
    {{"cancel"}, 2, "usage"},
    {{"cancel", "01a200a2aa27-31fd89e6cc6c4c36"}, 1, "unknown token"},
    {{"reschedule", "nonsense", "--in", "1s"}, 1, "unknown token"},
    {{"watch", "w", "--count", "zero"}, 2, "--count"},
  };
  for (const auto& c : cases) {
    auto r = fails(c.args);
    INFO("args: " << ::Catch::Detail::stringify(c.args) << " stderr: " << r.err);
    CHECK(r.status == c.status);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(lines(r.err).size() == 1);
  }
  CHECK(trim(ctl_ok(dir, d.port, {"list"})).empty());
}

TEST_CASE_METHOD(cli_fixture, "a misfire policy is kept, listed and honoured") {
  schedule("w", {"--in", "1h", "--every", "1h", "--misfire", "all"});
  auto rows = json::parse(ctl_ok(dir, d.port, {"list", "--json"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["misfire"] == "all");
  CHECK(ctl_ok(dir, d.port, {"list"}).find("every 1h  misfire all") != std::string::npos);
  // skip never parks: with no watcher for "gone", its on-time occurrences are dropped.
  schedule("gone", {"--in", "100ms", "--every", "100ms", "--misfire", "skip"});
  const auto skipped = ctl_until(dir, d.port, {"stats", "--json"}, [](const std::string& out) {
    return json::parse(out)["skipped"] >= 2;
  });
  CHECK(json::parse(skipped)["skipped"] >= 2);
  CHECK(json::parse(skipped)["parked"] == 0);
}

TEST_CASE_METHOD(cli_fixture, "a calendar timeout fires by its calendar and is listed with it") {
  auto tok = schedule("w", {"--cron", "* * * * * *", "--payload", "tick"});
  CHECK(watch("w", 2) == std::vector<std::string>(2, tok + " tick"));
  // With the watcher gone, the seconds since may have parked one occurrence.
  json ticking;
  for (const auto& row : json::parse(ctl_ok(dir, d.port, {"list", "w", "--json"})))
    if (!row["parked"].get<bool>())
      ticking = row;
  REQUIRE(ticking.is_object());
  CHECK(ticking["prev_ms"].get<std::int64_t>() > 0); // the last second that came due
  CHECK(ticking["next_ms"].get<std::int64_t>() > ticking["prev_ms"].get<std::int64_t>());
  CHECK(ticking["next_ms"] == ticking["deadline_ms"]);
  schedule("reports", {"--cron", "0 30 9 * * MON-FRI", "--tz", "Europe/Berlin", "--misfire", "skip"});
  auto rows = json::parse(ctl_ok(dir, d.port, {"list", "reports", "--json"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["cron"] == "0 30 9 * * MON-FRI");
  CHECK(rows[0]["tz"] == "Europe/Berlin");
  CHECK(rows[0]["misfire"] == "skip");
  CHECK(rows[0]["interval_ms"] == 0);
  CHECK(ctl_ok(dir, d.port, {"list", "reports"}).find("cron \"0 30 9 * * MON-FRI\" Europe/Berlin")
        != std::string::npos);
}

TEST_CASE_METHOD(cli_fixture, "a jittered timeout is listed with its draw and fires after it") {
  const auto tok = schedule("w", {"--in", "200ms", "--jitter", "1s", "--payload", "spread"});
  auto rows = json::parse(ctl_ok(dir, d.port, {"list", "--json"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["jitter_ms"] == 1000);
  const auto delay = rows[0]["delay_ms"].get<std::int64_t>();
  CHECK(delay >= 0);
  CHECK(delay < 1000);
  CHECK(ctl_ok(dir, d.port, {"list"}).find("jitter 1s (this one +") != std::string::npos);
  const auto got = watch("w", 1, true);
  REQUIRE(got.size() == 1);
  const auto line = json::parse(got[0]);
  CHECK(line["token"] == tok);
  CHECK(line["deadline_ms"] == rows[0]["deadline_ms"]);
  CHECK(line["delivered_ms"].get<std::int64_t>() >= line["deadline_ms"].get<std::int64_t>() + delay);
  auto refused = fails({"schedule", "w", "--in", "1s", "--jitter", "31d"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("jitter longer than 30 days") != std::string::npos);
}

TEST_CASE_METHOD(cli_fixture, "a name held by another watcher is refused") {
  process first{{CHRONOSCTL_PATH, "--port", std::to_string(d.port), "watch", "w"}, dir, "first"};
  // Wait until the first watcher holds the name.
  ctl_until(dir, d.port, {"stats", "--json"},
            [](const std::string& out) { return json::parse(out)["names"] == 1; });
  auto second = fails({"watch", "w", "--count", "1"});
  INFO(second.err);
  CHECK(second.status == 1);
  CHECK(second.err.find("in use") != std::string::npos);
  first.signal(SIGTERM);
  CHECK(first.wait(10s) == 0);
}

TEST_CASE_METHOD(cli_fixture, "health reports a running chronosd as healthy") {
  schedule("w", {"--in", "1h"});
  auto r = ctl(dir, d.port, {"health"});
  CHECK(r.status == 0);
  CHECK(r.out.find("healthy: chronosd at 127.0.0.1:" + std::to_string(d.port) + ", 1 pending")
        == 0);
  CHECK(fails({"health", "extra"}).status == 2);
}

TEST_CASE("an unreachable chronosd is reported within seconds, not a hang") {
  temp_dir dir;
  // A port that nothing listens on: bind one, note it, close it.
  const auto port = local_port(bind_loopback(0));
  auto health = ctl(dir, port, {"health"}, 30s);
  CHECK(health.status == 1);
  CHECK(health.out.find("unhealthy: cannot reach chronosd") != std::string::npos);
  for (std::vector<std::string> args : {std::vector<std::string>{"stats"},
                                        std::vector<std::string>{"schedule", "w", "--in", "1s"},
                                        std::vector<std::string>{"watch", "w", "--count", "1"}}) {
    const auto start = std::chrono::steady_clock::now();
    args.insert(args.end(), {"--timeout", "5s"});
    auto r = ctl(dir, port, args, 30s);
    CHECK(std::chrono::steady_clock::now() - start < 15s);
    CHECK(r.status == 3);
    CHECK(r.err.find("cannot reach chronosd at 127.0.0.1:" + std::to_string(port)
                     + ": nothing listens there")
          != std::string::npos);
  }
}

TEST_CASE_METHOD(cli_fixture, "garbage from a peer does not disturb chronosd") {
  for (int round = 0; round < 3; ++round) {
    const auto sock = connect_loopback(d.port);
    std::string junk(4096, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i)
      junk[i] = static_cast<char>((i * 131 + round * 7) & 0xff);
    CHECK(::write(sock.get(), junk.data(), junk.size()) > 0);
  }
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(d.proc->wait(0ms));
  schedule("w", {"--in", "1h"});
  auto stats = json::parse(ctl_ok(dir, d.port, {"stats", "--json"}));
  CHECK(stats["pending"] == 1);
}

TEST_CASE("chronosd refuses bad options and says why") {
  temp_dir dir;
  for (std::vector<std::string> args : {std::vector<std::string>{"--port", "99999"},
                                        std::vector<std::string>{"--durability", "sometimes"},
                                        std::vector<std::string>{"--what"},
                                        std::vector<std::string>{"--max-timeouts", "0"},
                                        std::vector<std::string>{"--max-payload-bytes", "1e3"},
                                        std::vector<std::string>{"--peer-timeout", "500ms"},
                                        std::vector<std::string>{"--peer-timeout", "2h"},
                                        std::vector<std::string>{"--peer-timeout", "5parsecs"}}) {
    args.insert(args.begin(), CHRONOSD_PATH);
    auto r = run(args, dir);
    CHECK(r.status == 2);
    CHECK(r.err.find("chronosd: ") == 0);
  }
  auto help = run({CHRONOSD_PATH, "--help"}, dir);
  CHECK(help.status == 0);
  CHECK(help.out.find("--bind ADDR") != std::string::npos);
  // The defaults shown are the ones in force.
  const chronos::server_limits limits;
  for (const auto& [option, value] :
       {std::pair{"--max-timeouts N", limits.max_timeouts},
        std::pair{"--max-message-total N", limits.max_message_total},
        std::pair{"--compact-bytes N", static_cast<std::size_t>(chronos::server_config{}.compact_bytes)}}) {
    INFO(option);
    const auto at = help.out.find(option);
    REQUIRE(at != std::string::npos);
    const auto next = help.out.find("\n  --", at);
    CHECK(help.out.substr(at, next - at).find("(default " + std::to_string(value) + ")")
          != std::string::npos);
  }
  auto ctl_help = run({CHRONOSCTL_PATH, "schedule", "--help"}, dir);
  CHECK(ctl_help.status == 0);
  CHECK(ctl_help.out.find("usage: chronosctl schedule") == 0);
  // The overview lists every command, each with its own --help.
  auto overview = run({CHRONOSCTL_PATH, "--help"}, dir);
  CHECK(overview.status == 0);
  for (const char* command : {"schedule", "cancel", "reschedule", "list", "count", "stats",
                              "namespaces", "health", "watch"}) {
    INFO(command);
    CHECK(overview.out.find(std::string{"\n  "} + command + " ") != std::string::npos);
    auto one = run({CHRONOSCTL_PATH, command, "--help"}, dir);
    CHECK(one.status == 0);
    CHECK(one.out.find(std::string{"usage: chronosctl "} + command) == 0);
  }
}

TEST_CASE("chronosd's limits come from its options, and past them a request is refused, nothing lost") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"), 0,
                                   {"--max-timeouts", "3", "--max-payload-total", "10",
                                    "--max-payload-bytes", "8", "--max-name-bytes", "6",
                                    "--max-list", "2", "--max-queued", "1000"});
  const auto refused = [&](std::vector<std::string> args, const std::string& why) {
    auto r = ctl(dir, d.port, args);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find(why) != std::string::npos);
  };
  refused({"schedule", "abcdefg", "--in", "1h"}, "name longer than 6 bytes");
  refused({"schedule", "a", "--in", "1h", "--payload", "123456789"}, "payload larger than 8 bytes");
  ctl_ok(dir, d.port, {"schedule", "a", "--in", "1h", "--payload", "12345678"});
  refused({"schedule", "a", "--in", "1h", "--payload", "123"}, "maximum of 10 payload bytes");
  ctl_ok(dir, d.port, {"schedule", "a", "--in", "1h", "--payload", "12"});
  ctl_ok(dir, d.port, {"schedule", "a", "--in", "1h"});
  refused({"schedule", "a", "--in", "1h"}, "maximum of 3 timeouts");
  CHECK(trim(ctl_ok(dir, d.port, {"count"})) == "3");
  refused({"list"}, "3 timeouts match, more than the 2 a list returns");
  refused({"list", "a"}, "3 timeouts match");
  CHECK(d.stop() == 0);
}

TEST_CASE("chronosd reads its options from a file, and the command line wins") {
  temp_dir dir;
  const auto config = dir.file("chronosd.conf");
  spit(config, "# chronosd for the test\n"
               "port = 0\n"
               "  state = " + dir.file("from-file.json") + "   # trailing comment\n"
               "\n"
               "durability = interval\n"
               "log-level = info\n");
  auto d = chronosd_process::start(dir, dir.file("from-flag.json"), 0,
                                   {"--config", config, "--durability", "shutdown"});
  ctl_ok(dir, d.port, {"schedule", "w", "--in", "1h"});
  CHECK(d.proc->err().find("durability shutdown") != std::string::npos); // the flag won
  CHECK(d.stop() == 0);
  // chronosd_process passes --state after --config: the flag's file is the one written.
  CHECK(std::ifstream{dir.file("from-flag.json")}.good());
  CHECK_FALSE(std::ifstream{dir.file("from-file.json")}.good());

  struct bad_case {
    std::string text;
    std::string message;
  };
  const std::vector<bad_case> cases{
    {"port = 0\ncolour = red\n", "chronosd.conf:2: unknown option '--colour'"},
    {"durability = sometimes\n", "chronosd.conf:1: unknown durability 'sometimes'"},
    {"just words\n", "chronosd.conf:1: expected 'name = value'"},
    {"config = other.conf\n", "chronosd.conf:1: a configuration file cannot name another"},
  };
  for (const auto& c : cases) {
    spit(config, c.text);
    auto r = run({CHRONOSD_PATH, "--config", config}, dir);
    INFO(c.text << " -> " << r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  auto missing = run({CHRONOSD_PATH, "--config", dir.file("nope.conf")}, dir);
  CHECK(missing.status == 2);
  CHECK(missing.err.find("cannot read the configuration file") != std::string::npos);
}
