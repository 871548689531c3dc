// The client library coalesces single schedules and cancels that reach it
// together into batch requests, and answers each as if it had gone alone.
// Its node runs one worker, so a burst sent in one turn of one actor is all
// in the client's mailbox before the client reads any of it: one batch.

#include "../support/caf_node.hpp"
#include "../support/chronosd_process.hpp"

#include <functional>
#include <future>
#include <set>

#include <nlohmann/json.hpp>

#include "chronos/client/client.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

struct answer {
  bool ok = false;
  std::string token;       // a schedule's reply
  std::uint64_t count = 0; // a bulk cancel's reply
  std::optional<errc> error;
};

/// Where one request of a burst records its answer.
class recorder {
public:
  recorder(std::shared_ptr<std::vector<answer>> all, std::size_t i, std::function<void()> done)
    : all_(std::move(all)), i_(i), done_(std::move(done)) {}

  void ok() { got().ok = true, done_(); }
  void token(std::string t) { got().token = std::move(t), ok(); }
  void count(std::uint64_t n) { got().count = n, ok(); }
  void failed(const caf::error& e) { got().error = code_of(e), done_(); }

private:
  answer& got() { return (*all_)[i_]; }
  std::shared_ptr<std::vector<answer>> all_;
  std::size_t i_;
  std::function<void()> done_;
};

void schedule_one(caf::event_based_actor* self, const caf::actor& to, schedule_request req,
                  recorder rec) {
  self->request(to, 30s, schedule_atom::value, std::move(req))
    .then([rec](std::string& t) mutable { rec.token(t); },
          [rec](caf::error& e) mutable { rec.failed(e); });
}

void cancel_one(caf::event_based_actor* self, const caf::actor& to, std::string tok,
                recorder rec) {
  self->request(to, 30s, cancel_atom::value, std::move(tok))
    .then([rec](caf::ok_atom) mutable { rec.ok(); },
          [rec](caf::error& e) mutable { rec.failed(e); });
}

/// A client node connected to chronosd at `port`.
struct client_node {
  caf_node node{1};
  caf::actor client;

  explicit client_node(std::uint16_t port, std::size_t max_coalesced = 1000) {
    client_config cfg;
    cfg.port = port;
    cfg.request_timeout = 30s;
    cfg.max_coalesced = max_coalesced;
    client = spawn_client(*node.sys, cfg);
    REQUIRE(wait_until([&] { return client_connected(*node.sys, client); }, 20s));
  }

  ~client_node() { caf::anon_send_exit(client, caf::exit_reason::user_shutdown); }

  client_stats stats() {
    client_stats out;
    caf::scoped_actor self{*node.sys};
    self->request(client, 5s, client_stats_atom::value)
      .receive([&](const client_stats& s) { out = s; }, [](caf::error&) { FAIL("no stats"); });
    return out;
  }

  /// Sends `send(self, client, i, recorder)` for i in [0, n) in one turn of
  /// one actor; each answer in request order.
  template <class Send>
  std::vector<answer> burst(std::size_t n, Send send) {
    auto got = std::make_shared<std::vector<answer>>(n);
    auto left = std::make_shared<std::size_t>(n);
    auto all = std::make_shared<std::promise<void>>();
    auto finished = all->get_future();
    // The unused int: CAF 0.17 dereferences a null argument tuple when an
    // actor is spawned from a function without arguments (UBSan reports it).
    node.sys->spawn([=, to = client](caf::event_based_actor* self, int) {
      const auto done = [left, all] {
        if (--*left == 0)
          all->set_value();
      };
      for (std::size_t i = 0; i < n; ++i)
        send(self, to, i, recorder{got, i, done});
    }, 0);
    REQUIRE(finished.wait_for(60s) == std::future_status::ready);
    return *got;
  }
};

schedule_request in_an_hour(std::string name) {
  return {std::move(name), when_spec::in(3'600'000), "", 0};
}

std::uint64_t pending(const temp_dir& dir, std::uint16_t port) {
  return nlohmann::json::parse(ctl_ok(dir, port, {"stats", "--json"})).at("pending");
}

} // namespace

TEST_CASE("single schedules and cancels sent together go as one batch and are answered one by one") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  client_node c{d.port};

  auto scheduled = c.burst(200, [](caf::event_based_actor* self, const caf::actor& to,
                                    std::size_t i, recorder rec) {
    schedule_one(self, to, in_an_hour("w" + std::to_string(i % 7)), rec);
  });
  std::set<std::string> tokens;
  for (const auto& a : scheduled) {
    CHECK(a.ok);
    tokens.insert(a.token);
  }
  CHECK(tokens.size() == 200);
  auto s = c.stats();
  CHECK(s.batches == 1);
  CHECK(s.coalesced == 200);
  CHECK(s.resent_alone == 0);
  CHECK(pending(dir, d.port) == 200);

  const std::vector<std::string> ordered(tokens.begin(), tokens.end());
  auto cancelled = c.burst(200, [&](caf::event_based_actor* self, const caf::actor& to,
                                    std::size_t i, recorder rec) {
    cancel_one(self, to, ordered[i], rec);
  });
  for (const auto& a : cancelled)
    CHECK(a.ok);
  s = c.stats();
  CHECK(s.batches == 2);
  CHECK(s.coalesced == 400);
  CHECK(pending(dir, d.port) == 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("a bad request in a coalesced batch fails alone and the rest are done") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  client_node c{d.port};

  // An empty name is invalid: chronosd refuses the whole batch for it.
  auto scheduled = c.burst(50, [](caf::event_based_actor* self, const caf::actor& to,
                                   std::size_t i, recorder rec) {
    schedule_one(self, to, in_an_hour(i == 20 ? "" : "w"), rec);
  });
  for (std::size_t i = 0; i < scheduled.size(); ++i) {
    INFO("request " << i);
    CHECK(scheduled[i].ok == (i != 20));
    if (i == 20)
      CHECK(scheduled[i].error == errc::invalid_argument);
  }
  CHECK(c.stats().resent_alone == 50);
  CHECK(pending(dir, d.port) == 49);

  // An unknown token among the cancels: it alone is refused.
  std::vector<std::string> toks;
  for (const auto& a : scheduled)
    toks.push_back(a.ok ? a.token : "0-not-a-token");
  auto cancelled = c.burst(toks.size(), [&](caf::event_based_actor* self,
                                            const caf::actor& to, std::size_t i, recorder rec) {
    cancel_one(self, to, toks[i], rec);
  });
  for (std::size_t i = 0; i < cancelled.size(); ++i) {
    INFO("cancel " << i);
    CHECK(cancelled[i].ok == (i != 20));
  }
  CHECK_FALSE(cancelled[20].error == std::nullopt);
  CHECK(c.stats().resent_alone == 100);
  CHECK(pending(dir, d.port) == 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("queued single requests go before any other request the client forwards") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  client_node c{d.port};

  // Fifty schedules, then a cancel of all of their name, in one turn: the
  // cancel must find all fifty, so the batch has to go out before it.
  auto answers = c.burst(51, [](caf::event_based_actor* self, const caf::actor& to,
                                std::size_t i, recorder rec) {
    if (i < 50) {
      schedule_one(self, to, in_an_hour("order/a"), rec);
      return;
    }
    self->request(to, 30s, cancel_atom::value, name_selector{"order/a"})
      .then([rec](std::uint64_t n) mutable { rec.count(n); },
            [rec](caf::error& e) mutable { rec.failed(e); });
  });
  for (const auto& a : answers)
    CHECK(a.ok);
  CHECK(answers.back().count == 50);
  CHECK(pending(dir, d.port) == 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("with max_coalesced 1 the client forwards every request alone") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  client_node c{d.port, 1};
  auto scheduled = c.burst(20, [](caf::event_based_actor* self, const caf::actor& to,
                                   std::size_t, recorder rec) {
    schedule_one(self, to, in_an_hour("w"), rec);
  });
  for (const auto& a : scheduled)
    CHECK(a.ok);
  const auto s = c.stats();
  CHECK(s.batches == 0);
  CHECK(s.forwarded == 20);
  CHECK(pending(dir, d.port) == 20);
  CHECK(d.stop() == 0);
}

TEST_CASE("a batch's token list crosses the network both ways and cancels what it names") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  client_node c{d.port};
  caf::scoped_actor self{*c.node.sys};
  token_list toks;
  self->request(c.client, 30s, schedule_atom::value,
                std::vector<schedule_request>(5, in_an_hour("w")))
    .receive([&](token_list& got) { toks = std::move(got); },
             [](caf::error& e) { FAIL(describe(e)); });
  REQUIRE(toks.size() == 5);
  CHECK(std::set<std::string>(begin(toks), end(toks)).size() == 5);
  token_list some;
  for (std::size_t i : {4, 1, 2})
    some.push_back(toks[i]);
  bool cancelled = false;
  self->request(c.client, 30s, cancel_atom::value, some)
    .receive([&](caf::ok_atom) { cancelled = true; }, [](caf::error& e) { FAIL(describe(e)); });
  CHECK(cancelled);
  auto listed = nlohmann::json::parse(ctl_ok(dir, d.port, {"list", "--json"}));
  std::set<std::string> left;
  for (const auto& row : listed)
    left.insert(row.at("token").get<std::string>());
  CHECK(left == std::set<std::string>{std::string{toks[0]}, std::string{toks[3]}});
  CHECK(d.stop() == 0);
}
