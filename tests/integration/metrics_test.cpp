// chronosd --metrics: Prometheus metrics scraped over 127.0.0.1, moving as
// chronosd works.

#include "../support/chronosd_process.hpp"
#include "../support/loopback.hpp"
#include "../support/postgres_server.hpp"

using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

// One HTTP/1.0 GET of /metrics on 127.0.0.1:port; the whole response.
std::string scrape(int port) {
  const auto sock = connect_loopback(static_cast<std::uint16_t>(port));
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::write(sock.get(), request.data(), request.size())
          == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::read(sock.get(), buf, sizeof buf)) > 0;)
    response.append(buf, static_cast<std::size_t>(n));
  return response;
}

// The value of the sample line that starts with `series` ("name" or
// "name{label=\"x\"}"), or -1 when there is none.
double sample(const std::string& text, const std::string& series) {
  for (const auto& line : lines(text))
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

int metrics_port(const chronosd_process& d) {
  std::smatch m;
  const auto out = d.proc->out();
  REQUIRE(std::regex_search(out, m, std::regex{"metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics"}));
  return std::stoi(m[1]);
}

} // namespace

TEST_CASE("chronosd serves Prometheus metrics that follow what it does") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"), 0, {"--metrics", "127.0.0.1:0"});
  const int port = metrics_port(d);
  auto before = scrape(port);
  CHECK(before.rfind("HTTP/1.", 0) == 0);
  CHECK(before.find("200 OK") != std::string::npos);
  CHECK(sample(before, "chronos_up") == 1);
  CHECK(sample(before, "chronos_pending") == 0);
  CHECK(sample(before, "chronos_writable") == 1);
  CHECK(before.find("# TYPE chronos_delivery_lateness_seconds histogram") != std::string::npos);

  ctl_ok(dir, d.port, {"schedule", "billing/a", "--in", "1h"});
  ctl_ok(dir, d.port, {"schedule", "billing/eu/b", "--in", "1h"});
  const auto gone = trim(ctl_ok(dir, d.port, {"schedule", "w", "--in", "1h"}));
  ctl_ok(dir, d.port, {"cancel", gone});
  // The watcher is there before the deadline, so the delivery is on time
  // (one that waited parked for its name is not a lateness sample).
  process watcher{{CHRONOSCTL_PATH, "--port", std::to_string(d.port), "watch", "w", "--count", "1"},
                  dir, "watcher"};
  ctl_until(dir, d.port, {"stats", "--json"}, [](const std::string& out) {
    return out.find("\"client_nodes\":1") != std::string::npos;
  });
  ctl_ok(dir, d.port, {"schedule", "w", "--in", "200ms"});
  REQUIRE(watcher.wait(30s) == 0);

  auto after = scrape(port);
  CHECK(sample(after, "chronos_pending") == 2);
  CHECK(sample(after, "chronos_scheduled_total") == 4);
  CHECK(sample(after, "chronos_cancelled_total") == 1);
  CHECK(sample(after, "chronos_fired_total") == 1);
  CHECK(sample(after, "chronos_delivered_total") == 1);
  CHECK(sample(after, "chronos_delivery_lateness_seconds_count") == 1);
  CHECK(sample(after, "chronos_delivery_lateness_seconds_bucket{le=\"+Inf\"}") == 1);
  CHECK(sample(after, "chronos_namespace_pending{namespace=\"billing\"}") == 1);
  CHECK(sample(after, "chronos_namespace_pending{namespace=\"billing/eu\"}") == 1);
  CHECK(sample(after, "chronos_journal_bytes") > 0);
  CHECK(sample(after, "chronos_snapshot_bytes") > 0); // written at the first start
  CHECK(sample(after, "chronos_client_nodes") == 0);  // the watcher has gone
  CHECK(d.stop() == 0);
}

TEST_CASE("a bad or busy metrics address is refused and says why") {
  temp_dir dir;
  process bad{{CHRONOSD_PATH, "--port", "0", "--state", dir.file("a.json"), "--metrics", "9464"},
              dir, "bad"};
  CHECK(bad.wait(20s) == 2);
  CHECK(bad.err().find("--metrics needs ADDR:PORT") != std::string::npos);
  // A port already taken: by the first chronosd's metrics endpoint.
  auto first = chronosd_process::start(dir, dir.file("b.json"), 0, {"--metrics", "127.0.0.1:0"});
  const auto taken = "127.0.0.1:" + std::to_string(metrics_port(first));
  process busy{{CHRONOSD_PATH, "--port", "0", "--state", dir.file("c.json"), "--metrics", taken},
               dir, "busy"};
  CHECK(busy.wait(20s) == 1);
  CHECK(busy.err().find("cannot serve metrics on " + taken) != std::string::npos);
  CHECK(first.stop() == 0);
}

TEST_CASE("on a shared store, the metrics say who leads and in which epoch") {
  postgres_server pg;
  temp_dir dir;
  const std::vector<std::string> shared{"--store", pg.url(), "--lease", "1s", "--metrics",
                                        "127.0.0.1:0"};
  auto a = chronosd_process::launch(dir, shared);
  const auto leads = [&](const chronosd_process& d) {
    return sample(scrape(metrics_port(d)), "chronos_leader") == 1;
  };
  REQUIRE(wait_until([&] { return leads(a); }, 30s, 50ms));
  auto b = chronosd_process::launch(dir, shared);
  // A standby answers the scrape (its namespaces are the leader's business).
  REQUIRE(wait_until(
    [&] { return sample(scrape(metrics_port(b)), "chronos_lease_epoch") == 1; }, 30s, 50ms));
  const auto standby = scrape(metrics_port(b));
  CHECK(sample(standby, "chronos_up") == 1);
  CHECK(sample(standby, "chronos_leader") == 0);
  CHECK(sample(scrape(metrics_port(a)), "chronos_lease_epoch") == 1);
  a.proc->signal(SIGKILL);
  REQUIRE(wait_until([&] { return leads(b); }, 30s, 50ms));
  CHECK(sample(scrape(metrics_port(b)), "chronos_lease_epoch") == 2);
}
