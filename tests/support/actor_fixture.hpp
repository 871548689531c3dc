#pragma once

// Drives the chronos actor on CAF's test coordinator: no threads, no sleeps.
// CAF's clock moves only when a test advances it; the server's wall clock is
// derived from it (plus a skew a test may set, to step the wall clock alone).

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "chronos/server/server.hpp"

namespace chronos::test {

struct received {
  chronos_timeout msg;
  std::chrono::system_clock::time_point at;
};

using inbox = std::shared_ptr<std::vector<received>>;

struct actor_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    register_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};
  const caf::actor_clock::time_point steady_start = sched.clock().now();
  /// Wall-clock time at the start of every test: 2026-11-21T23:00:00Z.
  const std::chrono::system_clock::time_point wall_start{std::chrono::milliseconds{1'795'302'000'000}};
  /// Added to the wall clock only: simulates the system clock being stepped.
  std::chrono::milliseconds skew{0};

  /// Every actor a test spawned; killed at the end so the system can shut down.
  std::vector<caf::actor_addr> spawned;

  ~actor_fixture() {
    for (auto& addr : spawned)
      if (auto hdl = caf::actor_cast<caf::actor>(addr))
        caf::anon_send_exit(hdl, caf::exit_reason::kill);
    sched.run();
  }

  std::chrono::system_clock::time_point wall_now() const {
    return wall_start + skew
           + std::chrono::duration_cast<std::chrono::system_clock::duration>(
             sched.clock().now() - steady_start);
  }

  std::int64_t ms_since_start(std::int64_t epoch_ms) const {
    return epoch_ms - to_epoch_ms(floor_ms(wall_start));
  }

  server_config config(std::string state_path = "") {
    server_config c;
    c.state_path = std::move(state_path);
    c.clock = [this] { return wall_now(); };
    c.seed = 1;
    c.io_threads = false;
    return c;
  }

  chronos_api start(std::string state_path = "") {
    auto srv = spawn_server(sys, config(std::move(state_path)));
    INFO((srv ? "" : srv.error().detail));
    REQUIRE(srv);
    spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
    sched.run();
    return *srv;
  }

  /// A client actor that records every chronos_timeout it receives.
  std::pair<caf::actor, inbox> collector() {
    auto box = std::make_shared<std::vector<received>>();
    auto clock = [this] { return wall_now(); };
    // Arguments rather than captures: CAF 0.17's argument-less spawn of a
    // function-based actor trips UBSan.
    auto a = sys.spawn(
      [](caf::event_based_actor*, inbox box, std::function<std::chrono::system_clock::time_point()> clock)
        -> caf::behavior {
        return {[box, clock](const chronos_timeout& t) { box->push_back({t, clock()}); }};
      },
      box, std::function<std::chrono::system_clock::time_point()>{clock});
    spawned.push_back(a.address());
    return {a, box};
  }

  /// Sends a request, runs the system, returns the reply or the error.
  template <class T, class... Ts>
  caf::expected<T> call(const chronos_api& srv, Ts&&... xs) {
    caf::expected<T> result{caf::sec::bad_function_call};
    auto rh = self->request(srv, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    rh.receive([&](T& x) { result = std::move(x); },
               [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  /// Sends a request from an actor of its own and runs the system: the reply
  /// or the error, or nothing if none came while the system ran (where `call`
  /// would wait for ever).
  template <class T, class... Ts>
  std::optional<caf::expected<T>> reply_by_idle(const chronos_api& srv, Ts... xs) {
    auto got = std::make_shared<std::optional<caf::expected<T>>>();
    auto requester = sys.spawn(
      [got](caf::event_based_actor* a, chronos_api to, std::tuple<Ts...> args) -> caf::behavior {
        std::apply(
          [&](auto&... x) {
            a->request(to, caf::infinite, x...)
              .then([got](T& reply) { *got = std::move(reply); },
                    [got](caf::error& e) { *got = std::move(e); });
          },
          args);
        return {[](caf::ok_atom) {}};
      },
      srv, std::make_tuple(std::move(xs)...));
    spawned.push_back(requester.address());
    sched.run();
    return *got;
  }

  std::string schedule(const chronos_api& srv, std::string name, std::int64_t delay_ms,
                       std::string payload = "", std::int64_t interval_ms = 0) {
    schedule_request req{std::move(name), when_spec::in(delay_ms), std::move(payload),
                         interval_ms};
    auto tok = call<std::string>(srv, schedule_atom::value, req);
    INFO((tok ? "" : describe(tok.error())));
    REQUIRE(tok);
    return *tok;
  }

  void register_name(const chronos_api& srv, const std::string& name, const caf::actor& who) {
    auto ok = call<caf::ok_atom>(srv, register_atom::value, name, who);
    INFO((ok ? "" : describe(ok.error())));
    REQUIRE(ok);
  }

  /// Adds `who` to the group `name` (ack_ms 0: no acknowledgements).
  void join(const chronos_api& srv, const std::string& name, const caf::actor& who,
            std::int64_t ack_ms = 0) {
    auto ok = call<caf::ok_atom>(srv, join_atom::value, name, who, ack_ms);
    INFO((ok ? "" : describe(ok.error())));
    REQUIRE(ok);
  }

  void advance(std::chrono::milliseconds d) {
    sched.advance_time(d);
    sched.run();
  }

  stats_info stats(const chronos_api& srv) {
    auto s = call<stats_info>(srv, stats_atom::value);
    REQUIRE(s);
    return *s;
  }
};

inline std::vector<std::string> payloads(const inbox& box) {
  std::vector<std::string> out;
  for (const auto& r : *box)
    out.push_back(r.msg.payload);
  return out;
}

} // namespace chronos::test
