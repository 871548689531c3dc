// chronosd with --durability always is killed with SIGKILL while a client
// schedules and cancels as fast as it can; after each restart every
// acknowledged schedule is there and every acknowledged cancel stayed done.

#include "../support/chronosd_process.hpp"

#include <mutex>
#include <random>
#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/client/client.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

struct ledger {
  std::mutex mtx;
  std::set<std::string> scheduled; // acknowledged, not acknowledged-cancelled
  std::set<std::string> cancelled; // acknowledged cancels
  /// Scheduled tokens with a cancel sent but not acknowledged: either outcome is right.
  std::set<std::string> cancelling;
  std::size_t acks = 0;
  bool failed = false;

  // Checks a `list --json` output; settles what was uncertain.
  void verify(const std::string& listed) {
    std::lock_guard<std::mutex> guard{mtx};
    for (const auto& tok : cancelled)
      CHECK(listed.find(tok) == std::string::npos);
    for (auto it = scheduled.begin(); it != scheduled.end();) {
      const bool present = listed.find(*it) != std::string::npos;
      if (cancelling.count(*it) && !present) {
        cancelled.insert(*it);
        it = scheduled.erase(it);
        continue;
      }
      CHECK(present);
      ++it;
    }
    cancelling.clear();
    failed = false;
  }
};

// Keeps `depth` requests in flight: schedules, and cancels of acknowledged tokens.
caf::behavior load(caf::event_based_actor* self, chronos_api srv, std::shared_ptr<ledger> book,
                   std::uint64_t seed, int depth) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  // The behavior owns `next`; callbacks hold it weakly, so no cycle outlives the actor.
  auto next = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> again = next;
  auto go_on = [again] {
    if (auto n = again.lock())
      (*n)();
  };
  *next = [=] {
    std::string victim;
    {
      std::lock_guard<std::mutex> guard{book->mtx};
      if (book->failed)
        return;
      if (!book->scheduled.empty() && (*rng)() % 3 == 0) {
        auto it = book->scheduled.begin();
        std::advance(it, static_cast<long>((*rng)() % book->scheduled.size()));
        victim = *it;
        book->cancelling.insert(victim);
      }
    }
    auto on_error = [=](caf::error&) {
      std::lock_guard<std::mutex> guard{book->mtx};
      book->failed = true;
    };
    if (victim.empty()) {
      self->request(srv, 10s, schedule_atom::value,
                    schedule_request{"crash", when_spec::in(3'600'000), "x", 0})
        .then(
          [=](const std::string& tok) {
            {
              std::lock_guard<std::mutex> guard{book->mtx};
              book->scheduled.insert(tok);
              ++book->acks;
            }
            go_on();
          },
          on_error);
    } else {
      self->request(srv, 10s, cancel_atom::value, victim)
        .then(
          [=](caf::ok_atom) {
            {
              std::lock_guard<std::mutex> guard{book->mtx};
              book->scheduled.erase(victim);
              book->cancelling.erase(victim);
              book->cancelled.insert(victim);
              ++book->acks;
            }
            go_on();
          },
          [=](caf::error& e) {
            // Two cancels of one token may race; the loser is told "unknown token".
            if (code_of(e) == errc::unknown_token) {
              go_on();
              return;
            }
            on_error(e);
          });
    }
  };
  for (int i = 0; i < depth; ++i)
    (*next)();
  return {[next](caf::ok_atom) {}};
}

} // namespace

TEST_CASE("nothing acknowledged is lost when chronosd is killed with SIGKILL") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto book = std::make_shared<ledger>();
  std::mt19937_64 rng{std::random_device{}()};
  std::uint16_t port = 0;
  for (int round = 0; round < 4; ++round) {
    auto d = chronosd_process::start(dir, state, port, {"--durability", "always"});
    port = d.port;
    {
      caf::actor_system_config cfg;
      register_types(cfg);
      cfg.load<caf::io::middleman>();
      caf::actor_system sys{cfg};
      auto srv = connect(sys, "127.0.0.1", port, 5s);
      REQUIRE(srv);

      // Every acknowledged change of earlier rounds is still in force.
      book->verify(ctl_ok(dir, port, {"list", "crash", "--json"}));

      const std::size_t start_acks = book->acks;
      const std::size_t kill_after = 1000 + rng() % 3000;
      auto driver = sys.spawn(load, *srv, book, rng(), 32);
      wait_until(
        [&] {
          std::lock_guard<std::mutex> guard{book->mtx};
          return book->acks - start_acks >= kill_after || book->failed;
        },
        60s, 1ms);
      d.proc->signal(SIGKILL); // requests are in flight
      CHECK(d.proc->wait(10s) == 128 + SIGKILL);
      INFO("round " << round << ": " << book->acks - start_acks << " acknowledged changes");
      CHECK(book->acks - start_acks >= 1000);
      caf::anon_send_exit(driver, caf::exit_reason::kill);
    }
  }
  auto d = chronosd_process::start(dir, state, port);
  book->verify(ctl_ok(dir, port, {"list", "crash", "--json"}));
  CHECK(d.stop() == 0);
}
