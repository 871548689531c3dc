// A user's test of a user's actors, with chronos on a manual clock: an order
// that is cancelled unless it is paid within 7 days, tested in milliseconds.
// docs/testing.md walks through it; ctest runs it (example.order_workflow).

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "chronos/server/server.hpp"

using namespace std::chrono_literals;

namespace {

// -- the system under test -------------------------------------------------------

using open_atom = caf::atom_constant<caf::atom("open")>;
using pay_atom = caf::atom_constant<caf::atom("pay")>;

constexpr auto payment_window = std::chrono::hours{7 * 24};

struct order_state {
  std::string status = "new";
  std::string payment_timeout; // the token of its timeout at chronos
  static inline const char* name = "order";
};

// Opens with a payment timeout at chronos; paid in time, it cancels the
// timeout; the timeout first, it cancels the order.
caf::behavior order(caf::stateful_actor<order_state>* self, chronos::chronos_api timer,
                    std::string id) {
  const auto name = "orders/" + id;
  return {
    [=](open_atom) -> caf::result<caf::ok_atom> {
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->request(timer, 5s, chronos::register_atom::value, name, caf::actor{self})
        .then([=](caf::ok_atom) mutable {
          chronos::schedule_request req{name, chronos::when_spec::in(
                                                std::chrono::milliseconds{payment_window}.count()),
                                        "payment due", 0};
          self->request(timer, 5s, chronos::schedule_atom::value, req)
            .then([=](const std::string& token) mutable {
              self->state.payment_timeout = token;
              self->state.status = "awaiting payment";
              rp.deliver(caf::ok_atom::value);
            });
        });
      return rp;
    },
    [=](pay_atom) -> caf::result<caf::ok_atom> {
      if (self->state.status != "awaiting payment")
        return caf::sec::invalid_argument;
      self->state.status = "paid";
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->request(timer, 5s, chronos::cancel_atom::value, self->state.payment_timeout)
        .then([=](caf::ok_atom) mutable { rp.deliver(caf::ok_atom::value); });
      return rp;
    },
    [=](const chronos::chronos_timeout&) {
      if (self->state.status == "awaiting payment")
        self->state.status = "cancelled: not paid in time";
    },
    [=](caf::get_atom) { return self->state.status; },
  };
}

// -- the test ----------------------------------------------------------------------

// chronos in-process, on a clock the test moves.
struct with_chronos {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    chronos::register_types(cfg);
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  std::shared_ptr<chronos::manual_clock> clock = std::make_shared<chronos::manual_clock>(
    chronos::floor_ms(std::chrono::system_clock::now()));
  chronos::chronos_api timer;
  caf::scoped_actor self{sys};

  with_chronos() {
    chronos::server_config config;
    config.manual = clock;
    auto spawned = chronos::spawn_server(sys, config);
    REQUIRE(spawned);
    timer = *spawned;
  }

  ~with_chronos() { caf::anon_send_exit(timer, caf::exit_reason::user_shutdown); }

  /// Moves the clock; returns once chronos has sent everything that came due.
  void advance(std::chrono::milliseconds by) {
    self->request(timer, 5s, chronos::clock_atom::value, chronos::advance_atom::value, by.count())
      .receive([](const chronos::clock_info&) {},
               [](const caf::error& e) { FAIL(chronos::describe(e)); });
  }

  template <class... Ts>
  std::string ask(const caf::actor& who, Ts... xs) {
    std::string out;
    self->request(who, 5s, xs...)
      .receive([&](const std::string& s) { out = s; }, [&](const caf::error& e) {
        out = chronos::describe(e);
      });
    return out;
  }

  template <class... Ts>
  void tell(const caf::actor& who, Ts... xs) {
    bool ok = false;
    self->request(who, 5s, xs...).receive([&](caf::ok_atom) { ok = true; },
                                          [](const caf::error&) {});
    REQUIRE(ok);
  }
};

} // namespace

TEST_CASE_METHOD(with_chronos, "an unpaid order is cancelled after 7 days, not a minute before") {
  auto o = sys.spawn(order, timer, std::string{"42"});
  tell(o, open_atom::value);
  advance(payment_window - 1min);
  // chronos's deliveries were sent before the advance's reply, so the order
  // has them in its mailbox before this question.
  CHECK(ask(o, caf::get_atom::value) == "awaiting payment");
  advance(1min);
  CHECK(ask(o, caf::get_atom::value) == "cancelled: not paid in time");
  caf::anon_send_exit(o, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(with_chronos, "a paid order stays paid however long the wait") {
  auto o = sys.spawn(order, timer, std::string{"43"});
  tell(o, open_atom::value);
  advance(3 * 24h);
  tell(o, pay_atom::value);
  advance(30 * 24h);
  CHECK(ask(o, caf::get_atom::value) == "paid");
  caf::anon_send_exit(o, caf::exit_reason::user_shutdown);
}
