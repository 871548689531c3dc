// Failover: how long a store's timeouts go unserved when the leader dies.
// Two chronosd share the store; the leader is killed with SIGKILL at a
// random point of its renewal cycle, and the clock runs until the standby
// acknowledges its first change.

#include <csignal>
#include <random>
#include <stdexcept>
#include <thread>

#include "chronos/client/client.hpp"
#include "daemon.hpp"
#include "fixtures.hpp"
#include "harness.hpp"
#include "store.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

// Waits until `srv` has `role`; throws after `within`.
void require_role(caf::actor_system& sys, const chronos_api& srv, const std::string& role,
                  std::chrono::seconds within) {
  if (auto seen = await_role(sys, srv, role, within); seen != role)
    throw std::runtime_error{"failover: no " + role + " within " + std::to_string(within.count())
                             + " s (last seen: '" + seen + "')"};
}

// Sends a schedule to `srv` until one is acknowledged; the time it took.
double until_acknowledged(caf::actor_system& sys, const chronos_api& srv,
                          steady_clock::time_point since, std::chrono::seconds within) {
  caf::scoped_actor self{sys};
  const auto until = since + within;
  for (;;) {
    bool made = false;
    self->request(srv, 2s, schedule_atom::value,
                  schedule_request{"failover", when_spec::in(3'600'000), "", 0})
      .receive([&](std::string&) { made = true; }, [](caf::error&) {});
    if (made)
      return seconds_since(since);
    if (steady_clock::now() > until)
      throw std::runtime_error{"failover: the standby made no change within "
                               + std::to_string(within.count()) + " s"};
    std::this_thread::sleep_for(2ms);
  }
}

} // namespace

void run_failover(const options& opts, report& out) {
  if (opts.store.empty())
    throw std::runtime_error{"failover needs --store URL: a PostgreSQL database that it may empty"};
  const auto chronosd = find_chronosd(opts.chronosd);
  const auto sizes = opts.n ? std::vector<std::size_t>{opts.n}
                            : std::vector<std::size_t>{100'000, 1'000'000};
  const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(bench_lease());
  std::mt19937_64 rng{opts.seed};
  for (const auto n : sizes) {
    std::size_t overdue = 0;
    fill_store(opts.store, backlog(n, opts.seed, overdue, overdue_share::none));
    scratch tmp;
    const std::vector<std::string> args{"--port", "0", "--store", opts.store, "--lease",
                                        std::to_string(lease.count()) + "ms"};
    caf::actor_system_config cfg;
    caf::actor_system sys{configure(cfg, side::client)};
    daemon_process leader{chronosd, args, tmp.dir.string(), "leader", 60s};
    auto to_leader = connect(sys, "127.0.0.1", leader.port(), 10s);
    if (!to_leader)
      throw std::runtime_error{"failover: " + caf::to_string(to_leader.error())};
    require_role(sys, *to_leader, "leader", 300s);
    daemon_process standby{chronosd, args, tmp.dir.string(), "standby", 60s};
    auto to_standby = connect(sys, "127.0.0.1", standby.port(), 10s);
    if (!to_standby)
      throw std::runtime_error{"failover: " + caf::to_string(to_standby.error())};
    require_role(sys, *to_standby, "standby", 60s);
    // Anywhere in the leader's renewal cycle (it renews every lease/3).
    std::uniform_int_distribution<std::int64_t> offset{0, lease.count() / 3};
    std::this_thread::sleep_for(lease / 3 + std::chrono::milliseconds{offset(rng)});
    const auto killed = steady_clock::now();
    leader.stop(SIGKILL, 10s);
    const auto took = until_acknowledged(sys, *to_standby, killed, 300s);
    out.add({"failover", "chronos", "failover_s", took, "s",
             std::to_string(n) + " timeouts, lease " + std::to_string(lease.count())
               + " ms: SIGKILL of the leader to the first change the standby acknowledged"});
    standby.stop(SIGTERM, 120s);
  }
  empty_store(opts.store);
}

} // namespace chronos::bench
