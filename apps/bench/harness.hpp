#pragma once

// Shared machinery of the workloads: a CAF system configured for chronos, and
// pipelined request drivers (a client actor keeping `depth` requests in flight,
// or a request_window over the requests it queues).

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/net/host.hpp"
#include "chronos/net/scheduler_tuning.hpp"
#include "chronos/net/transport.hpp"
#include "chronos/server/messages.hpp"
#include "options.hpp"
#include "probes.hpp"

namespace chronos::bench {

/// Whose actor system: the one serving chronos (and the baselines), or a
/// remote client's, which reads peer messages the CAF way, as chronosctl does.
enum class side { server, client };

// As chronosd configures its system; the baselines run on the same settings.
// A client differs only in how its middleman reads.
inline caf::actor_system_config& configure(caf::actor_system_config& cfg,
                                           side who = side::server) {
  if (who == side::server)
    return configure_host(cfg);
  register_types(cfg);
  tune_scheduler(cfg);
  tighten_timer_slack();
  return cfg.load<caf::io::middleman>();
}

/// Requests one client actor keeps in flight. CAF 0.17 keeps an actor's
/// outstanding requests (`.then`) in a flat map that each reply searches and
/// shifts, so a reply costs in proportion to them: one at a time W1's echo
/// ceiling was 0.80-0.85 M/s with 256 in flight and 0.93-1.5 M/s with 64.
constexpr std::size_t in_flight = 64;

/// Sends an actor's requests with at most `limit` in flight, the next when
/// one is answered: how a client of many requests at once keeps to
/// `in_flight` (W4 sends a tick's 1,900 requests at once; all in flight they
/// cost a third more CPU). Owned by what the actor's behavior holds, so it
/// outlives every reply handler that calls `answered`.
class request_window {
public:
  explicit request_window(std::size_t limit) : limit_(limit) {}

  /// `issue` sends one request whose reply (or error) calls `answered()`.
  void push(std::function<void()> issue) {
    queued_.push_back(std::move(issue));
    pump();
  }

  void answered() {
    --sent_;
    pump();
  }

private:
  void pump() {
    for (; sent_ < limit_ && !queued_.empty(); queued_.pop_front()) {
      ++sent_;
      queued_.front()();
    }
  }

  std::size_t limit_;
  std::size_t sent_ = 0; // in flight
  std::deque<std::function<void()>> queued_;
};

/// Issues request `i`; calls `done(ok)` when its reply (or error) arrives.
using issue_fn =
  std::function<void(caf::event_based_actor* self, std::size_t i, std::function<void(bool)> done)>;

struct pipeline_result {
  double seconds = 0;
  std::size_t errors = 0;
};

/// Where the client actors run. CAF 0.17's work-stealing pool runs a client
/// and the server it keeps busy on one worker, one after the other: a message
/// between actors queues at the sender's worker, and an idle worker is woken
/// only by messages from outside the pool (else it tries stealing every 10
/// ms). A client on its own thread (`caf::detached`) sends from outside, so
/// it and the server run on two cores.
enum class placement { pool, own_thread };

/// `clients` actors, each answering `n_each` requests with `depth` in flight;
/// returns the wall time until every reply arrived.
inline pipeline_result run_clients(caf::actor_system& sys, std::size_t clients, std::size_t n_each,
                                   std::size_t depth, issue_fn issue,
                                   placement where = placement::pool) {
  struct shared {
    std::promise<void> all_done;
    std::atomic<std::size_t> clients_left;
    std::atomic<std::size_t> errors{0};
  };
  auto sh = std::make_shared<shared>();
  sh->clients_left = clients;
  auto start = std::chrono::steady_clock::now();
  const auto client = [=](caf::event_based_actor* self, std::size_t base) -> caf::behavior {
    auto sent = std::make_shared<std::size_t>(0);
    auto answered = std::make_shared<std::size_t>(0);
    // The behavior owns `next`; callbacks hold it weakly (no cycle).
    auto next = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> again = next;
    *next = [=] {
      if (*sent == n_each)
        return;
      const std::size_t i = base + (*sent)++;
      issue(self, i, [=](bool ok) {
        if (!ok)
          ++sh->errors;
        if (++*answered == n_each) {
          if (--sh->clients_left == 0)
            sh->all_done.set_value();
          self->quit();
          return;
        }
        if (auto n = again.lock())
          (*n)();
      });
    };
    for (std::size_t k = 0; k < depth; ++k)
      (*next)();
    return {[next](caf::ok_atom) {}};
  };
  for (std::size_t c = 0; c < clients; ++c) {
    if (where == placement::own_thread)
      sys.spawn<caf::detached>(client, c * n_each);
    else
      sys.spawn(client, c * n_each);
  }
  sh->all_done.get_future().wait();
  return {seconds_since(start), sh->errors.load()};
}

/// Acknowledged schedules per second: `clients` actors, one request at a
/// time each; nullopt if any request failed.
inline std::optional<double> acks_per_s(caf::actor_system& sys, const chronos_api& srv,
                                        std::size_t clients, std::size_t total) {
  const std::size_t each = std::max<std::size_t>(1, total / clients);
  auto r = run_clients(sys, clients, each, 1, [&](caf::event_based_actor* self, std::size_t i, auto done) {
    self->request(srv, std::chrono::seconds(30), schedule_atom::value,
                  schedule_request{"client-" + std::to_string(i % 64), when_spec::in(3'600'000), "", 0})
      .then([done](std::string&) { done(true); }, [done](caf::error&) { done(false); });
  });
  if (r.errors > 0)
    return std::nullopt;
  return static_cast<double>(each * clients) / r.seconds;
}

} // namespace chronos::bench
