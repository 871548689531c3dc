// W1 (schedule) and W2 (cancel everything W1 scheduled), for chronos and for
// the baseline: one delayed_send per timeout with a generation map for cancel.

#include <numeric>
#include <random>
#include <unordered_map>

#include "chronos/server/server.hpp"
#include "erlang_baseline.hpp"
#include "harness.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

constexpr std::size_t default_n = 1'000'000;

std::vector<std::int64_t> delays_ms(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<std::int64_t> in_1h_to_2h{3'600'000, 7'200'000};
  std::vector<std::int64_t> out(n);
  for (auto& d : out)
    d = in_1h_to_2h(rng);
  return out;
}

// W1 schedules; W2 schedules, then cancels what it scheduled.
enum class phases { schedule, schedule_then_cancel };

// Names shared by many timeouts, as in a real deployment.
std::string name_of(std::size_t i) { return "client-" + std::to_string(i % 100); }

void chronos_w1_w2(const options& opts, report& out, phases run) {
  const std::size_t n = opts.n ? opts.n : default_n;
  const auto delays = delays_ms(n, opts.seed);
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto srv = spawn_server(sys, server_config{});
  std::vector<std::string> tokens(n, std::string(token::text_size, ' ')); // touched up front
  const auto rss_before = rss_bytes();
  auto w1 = run_clients(sys, 1, n, in_flight, [&](caf::event_based_actor* self, std::size_t i, auto done) {
    schedule_request req{name_of(i), when_spec::in(delays[i]), "", 0};
    self->request(*srv, caf::infinite, schedule_atom::value, std::move(req))
      .then([&tokens, i, done](std::string& tok) { tokens[i].assign(tok); done(true); },
            [done](caf::error&) { done(false); });
  });
  const auto rss_after = rss_bytes();
  out.add({"w1", "chronos", "schedules_per_s", n / w1.seconds, "1/s", ""});
  out.add({"w1", "chronos", "bytes_per_timer", double(rss_after - rss_before) / n, "B", ""});
  if (run == phases::schedule_then_cancel) {
    std::shuffle(tokens.begin(), tokens.end(), std::mt19937_64{opts.seed + 1});
    auto w2 = run_clients(sys, 1, n, in_flight, [&](caf::event_based_actor* self, std::size_t i, auto done) {
      self->request(*srv, caf::infinite, cancel_atom::value, tokens[i])
        .then([done](caf::ok_atom) { done(true); }, [done](caf::error&) { done(false); });
    });
    out.add({"w2", "chronos", "cancels_per_s", n / w2.seconds, "1/s", ""});
    out.add({"w2", "chronos", "rss_after_cancel_per_timer", double(rss_bytes() - rss_before) / n,
             "B", "memory not returned to the OS by malloc shows here"});
  }
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
}

// W1 (and W2) through the batch requests: the same timeouts, 1,000 a request,
// from a client on the pool (sharing the server's core) or on its own thread.
void chronos_batched(const options& opts, report& out, phases run, placement where) {
  const std::string note =
    where == placement::pool ? "batches of 1000" : "batches of 1000, client on its own thread";
  const std::size_t n = opts.n ? opts.n : default_n;
  constexpr std::size_t batch = 1000;
  const auto delays = delays_ms(n, opts.seed);
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto srv = spawn_server(sys, server_config{});
  const std::size_t batches = (n + batch - 1) / batch;
  const auto range = [&](std::size_t b) {
    return std::pair{b * batch, std::min(n, (b + 1) * batch)};
  };
  std::vector<token_list> replies(batches);
  auto w1 = run_clients(sys, 1, batches, 4, [&](caf::event_based_actor* self, std::size_t b, auto done) {
    auto [first, last] = range(b);
    std::vector<schedule_request> reqs;
    reqs.reserve(last - first);
    for (std::size_t i = first; i < last; ++i)
      reqs.push_back({name_of(i), when_spec::in(delays[i]), "", 0});
    self->request(*srv, caf::infinite, schedule_atom::value, std::move(reqs))
      .then([&replies, b, done](token_list& toks) {
              replies[b] = std::move(toks);
              done(true);
            },
            [done](caf::error&) { done(false); });
  }, where);
  out.add({"w1", "chronos", "schedules_per_s", n / w1.seconds, "1/s", note});
  if (run == phases::schedule_then_cancel) {
    std::vector<std::string_view> tokens;
    tokens.reserve(n);
    for (const auto& some : replies)
      tokens.insert(tokens.end(), begin(some), end(some));
    std::shuffle(tokens.begin(), tokens.end(), std::mt19937_64{opts.seed + 1});
    auto w2 = run_clients(sys, 1, batches, 4, [&](caf::event_based_actor* self, std::size_t b, auto done) {
      auto [first, last] = range(b);
      token_list some;
      some.reserve(last - first);
      for (std::size_t i = first; i < last; ++i)
        some.push_back(tokens[i]);
      self->request(*srv, caf::infinite, cancel_atom::value, std::move(some))
        .then([done](caf::ok_atom) { done(true); }, [done](caf::error&) { done(false); });
    }, where);
    out.add({"w2", "chronos", "cancels_per_s", n / w2.seconds, "1/s", note});
  }
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
}

// id -> generation so that a "cancelled" message is recognised and dropped.
void baseline_w1_w2(const options& opts, report& out, phases run) {
  const std::size_t n = opts.n ? opts.n : default_n;
  const auto delays = delays_ms(n, opts.seed);
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto sink = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](std::uint64_t, std::uint64_t) {}};
  }, 0);
  std::unordered_map<std::uint64_t, std::uint64_t> live; // owned by the scheduling actor
  const auto rss_before = rss_bytes();
  std::promise<double> scheduled;
  sys.spawn([&](caf::event_based_actor* self, int) {
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      live.emplace(i, 1);
      self->delayed_send(sink, std::chrono::milliseconds{delays[i]}, std::uint64_t{i},
                         std::uint64_t{1});
    }
    scheduled.set_value(seconds_since(start));
  }, 0);
  const double w1 = scheduled.get_future().get();
  const auto rss_after = rss_bytes();
  out.add({"w1", "caf_delayed_send", "schedules_per_s", n / w1, "1/s", ""});
  out.add({"w1", "caf_delayed_send", "bytes_per_timer", double(rss_after - rss_before) / n, "B", ""});
  if (run == phases::schedule_then_cancel) {
    std::vector<std::uint64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64{opts.seed + 1});
    auto start = std::chrono::steady_clock::now();
    for (auto id : order)
      live.erase(id); // the delayed message stays queued in CAF's clock
    out.add({"w2", "caf_delayed_send", "cancels_per_s", n / seconds_since(start), "1/s",
             ""});
  }
  caf::anon_send_exit(sink, caf::exit_reason::kill);
}

// The ceiling of one request at a time: an actor that only echoes an int,
// driven exactly like chronos above (one client, `in_flight` requests in flight).
void caf_echo(const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : default_n;
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto echo = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](std::uint64_t x) { return x; }};
  }, 0);
  auto r = run_clients(sys, 1, n, in_flight, [&](caf::event_based_actor* self, std::size_t i, auto done) {
    self->request(echo, caf::infinite, std::uint64_t{i})
      .then([done](std::uint64_t) { done(true); }, [done](caf::error&) { done(false); });
  });
  out.add({"w1", "caf_echo", "requests_per_s", n / r.seconds, "1/s",
           "request/response ceiling: an actor that echoes an integer"});
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

} // namespace

void run_w1(const options& opts, report& out) {
  chronos_w1_w2(opts, out, phases::schedule);
  chronos_batched(opts, out, phases::schedule, placement::pool);
  chronos_batched(opts, out, phases::schedule, placement::own_thread);
  baseline_w1_w2(opts, out, phases::schedule);
  erlang_baseline("w1", opts.n ? opts.n : default_n, opts, out);
  caf_echo(opts, out);
}

void run_w2(const options& opts, report& out) {
  chronos_w1_w2(opts, out, phases::schedule_then_cancel);
  chronos_batched(opts, out, phases::schedule_then_cancel, placement::pool);
  chronos_batched(opts, out, phases::schedule_then_cancel, placement::own_thread);
  baseline_w1_w2(opts, out, phases::schedule_then_cancel);
  for (const char* part : {"w1", "w2"})
    erlang_baseline(part, opts.n ? opts.n : default_n, opts, out);
}

} // namespace chronos::bench
