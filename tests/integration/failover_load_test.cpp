// Failover under load: a client schedules (with keys) and cancels through
// spawn_client while the leader is killed five times. Every schedule is made
// once, nothing acknowledged is lost, and nothing is delivered early.

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "../support/caf_node.hpp"
#include "../support/chronosd_process.hpp"
#include "../support/postgres_server.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct delivery {
  std::string token;
  std::int64_t deadline_ms;
  std::int64_t received_ms;
};

// What the watcher received, from the actor's thread to the test's.
struct ledger {
  std::mutex mtx;
  std::vector<delivery> got;
};

// What the load got back.
struct outcomes {
  std::mutex mtx;
  std::map<std::string, std::int64_t> acknowledged; // token -> deadline_ms
  std::set<std::string> cancelled;                  // acknowledged cancels
  std::set<std::string> cancel_unknown;             // cancels without an answer
  std::size_t failed = 0;                           // no answer or an error

  // A timeout that must come due: acknowledged, and not (maybe) cancelled.
  bool must_fire(const std::string& tok) const {
    return !cancelled.count(tok) && !cancel_unknown.count(tok);
  }
};

class cluster {
public:
  cluster(const postgres_server& pg, const temp_dir& dir, std::size_t n) : pg_(pg), dir_(dir) {
    for (std::size_t i = 0; i < n; ++i)
      nodes_.push_back(start());
  }

  std::vector<server_address> servers() const {
    std::vector<server_address> out;
    for (const auto& n : nodes_)
      out.push_back({"127.0.0.1", n.port});
    return out;
  }

  // Kills the leader with SIGKILL and starts a new chronosd on its port.
  void kill_leader() {
    for (auto& n : nodes_) {
      auto r = ctl(dir_, n.port, {"stats", "--json"}, 20s);
      if (r.status != 0 || r.out.find("\"role\":\"leader\"") == std::string::npos)
        continue;
      n.proc->signal(SIGKILL);
      REQUIRE(n.proc->wait(10s));
      const auto port = n.port;
      n = start(port);
      return;
    }
  }

private:
  chronosd_process start(std::uint16_t port = 0) {
    return chronosd_process::launch(dir_, {"--store", pg_.url(), "--lease", "1s", "--port",
                                           std::to_string(port)});
  }

  const postgres_server& pg_;
  const temp_dir& dir_;
  std::vector<chronosd_process> nodes_;
};

} // namespace

TEST_CASE("failover under load: five leaders killed, nothing acknowledged lost or doubled") {
  postgres_server pg;
  temp_dir dir;
  cluster nodes{pg, dir, 3};
  caf_node node;
  auto& sys = *node.sys;
  client_config cfg;
  cfg.servers = nodes.servers();
  cfg.request_timeout = 40s; // long enough to wait out a failover
  auto client = spawn_client(sys, cfg);

  auto seen = std::make_shared<ledger>();
  // `seen` as an argument: CAF 0.17 spawns a function actor without any
  // through a null pointer, which UBSan reports.
  auto watcher = sys.spawn(
    [](caf::event_based_actor*, std::shared_ptr<ledger> seen) -> caf::behavior {
      return {[seen](const chronos_timeout& t) {
        std::lock_guard<std::mutex> guard{seen->mtx};
        seen->got.push_back({t.token, t.deadline_ms, now_ms()});
      }};
    },
    seen);
  {
    caf::scoped_actor self{sys};
    bool ok = false;
    self->request(client, 40s, register_atom::value, std::string{"load"}, watcher)
      .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
    REQUIRE(ok);
  }

  // Eight senders, 150 schedules each, paced over about 12 s; every fourth
  // is due late and cancelled right after its acknowledgement.
  outcomes out;
  std::vector<std::thread> senders;
  for (int s = 0; s < 8; ++s)
    senders.emplace_back([&, s] {
      caf::scoped_actor self{sys};
      for (int i = 0; i < 150; ++i) {
        const bool to_cancel = i % 4 == 3;
        const auto deadline = now_ms() + (to_cancel ? 60'000 : 2'000 + (i * 37 + s * 101) % 6'000);
        std::optional<std::string> tok;
        // Keyed: one whose answer was lost at a kill goes again, and is made once.
        self->request(client, 45s, schedule_atom::value,
                      schedule_request{"load", when_spec::at(deadline), std::to_string(i), 0,
                                       misfire_policy::once,
                                       "s" + std::to_string(s) + "-" + std::to_string(i)})
          .receive([&](std::string& t) { tok = std::move(t); }, [](caf::error&) {});
        {
          std::lock_guard<std::mutex> guard{out.mtx};
          if (tok)
            out.acknowledged[*tok] = deadline;
          else
            ++out.failed;
        }
        if (tok && to_cancel) {
          bool cancelled = false;
          self->request(client, 45s, cancel_atom::value, *tok)
            .receive([&](caf::ok_atom) { cancelled = true; }, [](caf::error&) {});
          std::lock_guard<std::mutex> guard{out.mtx};
          (cancelled ? out.cancelled : out.cancel_unknown).insert(*tok);
        }
        std::this_thread::sleep_for(80ms);
      }
    });
  std::mt19937 rng{std::random_device{}()};
  std::vector<std::int64_t> kills;
  for (int kill = 0; kill < 5; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1000 + rng() % 1500});
    kills.push_back(now_ms());
    nodes.kill_leader();
  }
  // A delivery sent just before a kill may die in the killed chronosd's
  // socket buffers after its "fired" record committed (protocol.md: "At
  // least once across chronosd crashes"): such timeouts are not counted
  // missing, as in the soak test. Under TSan deliveries run seconds late, so
  // deadlines further back can still be in flight when the leader dies.
#if defined(__SANITIZE_THREAD__)
  constexpr std::int64_t kill_window_ms = 6000;
#else
  constexpr std::int64_t kill_window_ms = 2000;
#endif
  const auto in_kill_window = [&](std::int64_t deadline) {
    for (auto k : kills)
      if (deadline <= k && deadline > k - kill_window_ms)
        return true;
    return false;
  };
  for (auto& t : senders)
    t.join();

  // Everything not cancelled comes due within 8 s of its schedule.
  std::int64_t last = 0;
  for (const auto& [tok, deadline] : out.acknowledged)
    if (out.must_fire(tok))
      last = std::max(last, deadline);
  const auto all_due = [&] {
    std::lock_guard<std::mutex> guard{seen->mtx};
    std::set<std::string> got;
    for (const auto& d : seen->got)
      got.insert(d.token);
    for (const auto& [tok, deadline] : out.acknowledged)
      if (out.must_fire(tok) && !in_kill_window(deadline) && !got.count(tok))
        return false;
    return true;
  };
  wait_until(all_due, std::chrono::milliseconds{std::max<std::int64_t>(0, last - now_ms())} + 60s,
             100ms);

  std::lock_guard<std::mutex> guard{seen->mtx};
  std::map<std::string, int> times;
  std::size_t early = 0;
  for (const auto& d : seen->got) {
    ++times[d.token];
    if (d.received_ms < d.deadline_ms)
      ++early;
  }
  std::size_t missing = 0;
  std::size_t lost_in_kill = 0;
  std::size_t cancelled_delivered = 0;
  std::size_t doubled = 0;
  for (const auto& [tok, deadline] : out.acknowledged) {
    if (out.cancelled.count(tok))
      cancelled_delivered += times.count(tok);
    else if (out.must_fire(tok) && !times.count(tok))
      ++(in_kill_window(deadline) ? lost_in_kill : missing);
  }
  for (const auto& [tok, n] : times)
    doubled += n > 1 ? 1 : 0;
  INFO(out.acknowledged.size() << " acknowledged, " << out.cancelled.size() << " cancelled, "
                               << out.failed << " failed, " << out.cancel_unknown.size()
                               << " cancels unanswered, " << lost_in_kill
                               << " due just before a kill and not delivered; " << seen->got.size()
                               << " deliveries, " << doubled << " tokens delivered twice");
  CHECK(out.acknowledged.size() == 1200);
  CHECK(out.failed == 0);
  CHECK(missing == 0);
  CHECK(early == 0);
  CHECK(cancelled_delivered == 0);

  // What is left in the store: the cancelled ones are gone, nothing is there twice.
  const auto leader = connect_leader(sys, nodes.servers(), 30s);
  REQUIRE(leader);
  caf::scoped_actor self{sys};
  timeout_list left;
  self->request(*leader, 30s, list_atom::value)
    .receive([&](timeout_list& l) { left = std::move(l); }, [](caf::error&) {});
  std::set<std::string> listed;
  for (const auto& t : left) {
    CHECK(listed.insert(t.token).second);
    CHECK_FALSE(out.cancelled.count(t.token));
  }
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == std::to_string(left.size()));
  caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
}
