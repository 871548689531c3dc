#include "soak_worker.hpp"

#include <memory>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/base/clock.hpp"
#include "chronos/client/client.hpp"

namespace chronos::soak {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using quit_atom = caf::atom_constant<caf::atom("quit")>;

constexpr auto request_timeout = 5s;

std::int64_t epoch_ms() { return to_epoch_ms(floor_ms(std::chrono::system_clock::now())); }
constexpr std::int64_t ack_ms = 2000;

// Records each delivery; in a group, acknowledges it through the client. A
// `quit` message ends it after everything sent before (an exit would not).
caf::behavior receiver(caf::event_based_actor* self, ledger* book, caf::actor client, bool acks) {
  return {
    [=](const chronos_timeout& t) {
      book->delivered(t.token, t.deadline_ms);
      if (acks)
        self->request(client, request_timeout, ack_atom::value, t.token, t.deadline_ms)
          .then([](caf::ok_atom) {}, [](caf::error&) {}); // unacknowledged: redelivered
    },
    [=](quit_atom) { self->quit(); },
  };
}

// One session's connection: the reconnecting client, the receiver, and a
// blocking caller for the requests.
class session {
public:
  session(const worker_config& cfg, ledger& book)
    : cfg_{cfg}, book_{book}, sys_cfg_{system_config()}, sys_{*sys_cfg_}, self_{sys_} {
    book.session_started();
    client_config ccfg;
    ccfg.port = cfg.port;
    ccfg.request_timeout = request_timeout;
    ccfg.retry_max = 500ms;
    client_ = spawn_client(sys_, ccfg);
    receiver_ = sys_.spawn(receiver, &book, client_, cfg.group_with_acks);
    // Answered ok even while chronosd is away: the client binds on connect.
    if (cfg.group_with_acks)
      call(join_atom::value, cfg.name, receiver_, ack_ms);
    else
      call(register_atom::value, cfg.name, receiver_);
    await_connection();
  }

  /// Registered: unbinds the name (later deliveries park in chronosd), lets
  /// the receiver finish what it was sent, then goes. In a group: goes at once.
  ~session() {
    if (!cfg_.group_with_acks) {
      unregister();
      self_->monitor(receiver_);
      self_->send(receiver_, quit_atom::value);
      self_->receive([](const caf::down_msg&) {});
    }
    self_->send_exit(receiver_, caf::exit_reason::kill);
    self_->send_exit(client_, caf::exit_reason::kill);
  }

  void schedule(std::int64_t in_ms, std::int64_t every_ms) {
    schedule_request req{cfg_.name, when_spec::in(in_ms), "soak", every_ms};
    const auto due_ms = epoch_ms() + in_ms;
    self_->request(client_, request_timeout, schedule_atom::value, req)
      .receive([&](const std::string& tok) { on_scheduled(tok, every_ms > 0, due_ms); },
               [&](caf::error&) { book_.refused(); });
  }

  /// Cancels `tok`; true once it is certainly gone (cancelled now or before).
  bool cancel(const std::string& tok) {
    bool gone = false;
    self_->request(client_, request_timeout, cancel_atom::value, tok)
      .receive(
        [&](caf::ok_atom) {
          book_.cancelled(tok, epoch_ms());
          gone = true;
        },
        [&](caf::error& e) {
          gone = code_of(e) == errc::unknown_token; // delivered, or an earlier cancel landed
          if (!gone)
            book_.maybe_cancelled(tok);
        });
    return gone;
  }

  void reschedule(const std::string& tok, std::int64_t in_ms) {
    const auto due_ms = epoch_ms() + in_ms;
    self_->request(client_, request_timeout, reschedule_atom::value, tok, when_spec::in(in_ms))
      .receive([&](caf::ok_atom) { book_.rescheduled(tok, due_ms); }, [&](caf::error& e) {
        if (code_of(e) != errc::unknown_token) // unknown: delivered or cancelled meanwhile
          book_.refused();
      });
  }

  /// Recurring timeouts scheduled in this session.
  std::vector<std::string> recurring;

private:
  static std::unique_ptr<caf::actor_system_config> system_config() {
    auto cfg = std::make_unique<caf::actor_system_config>();
    register_types(*cfg);
    cfg->load<caf::io::middleman>();
    cfg->set("scheduler.max-threads", 2);
    return cfg;
  }

  template <class... Ts>
  void call(Ts&&... xs) {
    self_->request(client_, request_timeout, std::forward<Ts>(xs)...)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
  }

  // Until chronosd confirms: a receiver that quits while its name is still
  // bound loses what is sent to it meanwhile (at most once, protocol.md). Not
  // bound (unknown_name) is as good: chronosd restarted and lost the binding.
  // A slow chronosd (sanitizer builds) may take longer than one request timeout.
  void unregister() {
    const auto give_up = clock::now() + 30s;
    for (bool done = false; !done && clock::now() < give_up;) {
      self_->request(client_, request_timeout, unregister_atom::value, cfg_.name)
        .receive([&](caf::ok_atom) { done = true; },
                 [&](caf::error& e) { done = code_of(e) == errc::unknown_name; });
      if (!done)
        std::this_thread::sleep_for(100ms);
    }
  }

  // Requests sent before the client reached chronosd would only be refused.
  void await_connection() {
    const auto give_up = clock::now() + 15s;
    for (bool up = false; !up && clock::now() < give_up;) {
      self_->request(client_, request_timeout, status_atom::value)
        .receive([&](bool connected) { up = connected; }, [](caf::error&) {});
      if (!up)
        std::this_thread::sleep_for(50ms);
    }
  }

  void on_scheduled(const std::string& tok, bool is_recurring, std::int64_t due_ms) {
    book_.scheduled(tok, is_recurring, cfg_.group_with_acks, due_ms);
    if (is_recurring)
      recurring.push_back(tok);
  }

  const worker_config& cfg_;
  ledger& book_;
  std::unique_ptr<caf::actor_system_config> sys_cfg_; // outlives sys_
  caf::actor_system sys_;
  caf::scoped_actor self_;
  caf::actor client_;
  caf::actor receiver_;
};

std::int64_t between(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

// Cancels what `pending` holds, keeping the tokens whose cancel is uncertain.
void cancel_all(session& s, std::vector<std::string>& pending) {
  std::vector<std::string> left;
  for (const auto& tok : pending)
    if (!s.cancel(tok))
      left.push_back(tok);
  pending = std::move(left);
}

// Schedules, cancels and reschedules at the configured rate until `until`.
void load(session& s, const worker_config& cfg, ledger& book, std::mt19937_64& rng,
          clock::time_point until, const std::atomic<bool>& load_over) {
  const auto period = std::chrono::duration_cast<clock::duration>(
    std::chrono::duration<double>(1.0 / cfg.rate));
  auto next = clock::now();
  while (clock::now() < until && !load_over) {
    const auto pick = rng() % 10;
    const auto victim = pick >= 6 ? book.any_live(rng) : std::string{};
    if (victim.empty())
      s.schedule(between(rng, 200, 3000), 0);
    else if (pick < 8)
      s.cancel(victim);
    else
      s.reschedule(victim, between(rng, 200, 3000));
    next += period;
    const auto now = clock::now();
    if (next < now - 1s)
      next = now; // fell behind (chronosd away): do not burst to catch up
    std::this_thread::sleep_until(next);
  }
}

} // namespace

void run_worker(const worker_config& cfg, ledger& book, const std::atomic<bool>& load_over,
                const std::atomic<bool>& drained) {
  std::mt19937_64 rng{cfg.seed};
  std::vector<std::string> recurring; // not yet certainly cancelled
  while (!load_over) {
    {
      session s{cfg, book};
      cancel_all(s, recurring);
      s.schedule(200, 400);
      load(s, cfg, book, rng, clock::now() + std::chrono::milliseconds{between(rng, 2000, 6000)},
           load_over);
      recurring.insert(recurring.end(), s.recurring.begin(), s.recurring.end());
      cancel_all(s, recurring);
    } // the actor system goes: chronosd sees this node disconnect
    std::this_thread::sleep_for(std::chrono::milliseconds{between(rng, 0, 1500)});
  }
  session last{cfg, book};
  while (!drained) {
    cancel_all(last, recurring);
    std::this_thread::sleep_for(100ms);
  }
}

} // namespace chronos::soak
