// Restore (a large state file) and durable (acknowledged schedules per
// durability mode, with this disk's fsync cost measured in the same run).

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "chronos/client/client.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/server/server.hpp"
#include "chronos/store/journal.hpp"
#include "chronos/store/state_file.hpp"
#include "harness.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

using std::chrono::system_clock;

// A scratch folder under $TMPDIR for state files, removed afterwards.
struct scratch {
  std::filesystem::path dir;
  scratch() {
    auto pattern = (std::filesystem::temp_directory_path() / "chronos-bench-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~scratch() { std::filesystem::remove_all(dir); }
  std::string file(const char* name) const { return (dir / name).string(); }
};

// N timeouts; every tenth overdue if `with_overdue`.
snapshot backlog(std::size_t n, std::uint64_t seed, std::size_t& overdue, bool with_overdue = true) {
  std::mt19937_64 rng{seed};
  token_generator tokens{seed};
  const auto now = floor_ms(system_clock::now());
  std::uniform_int_distribution<std::int64_t> past{60'000, 3'600'000};
  std::uniform_int_distribution<std::int64_t> future{3'600'000, 7'200'000};
  snapshot s;
  s.pending.reserve(n);
  overdue = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool late = with_overdue && i % 10 == 0;
    overdue += late;
    s.pending.push_back({now + millis{late ? -past(rng) : future(rng)}, tokens.next(now),
                         late ? "overdue" : "client-" + std::to_string(i % 100), "", millis{0}});
  }
  std::sort(s.pending.begin(), s.pending.end(), [](const timeout& a, const timeout& b) {
    return std::tie(a.deadline, a.token) < std::tie(b.deadline, b.token);
  });
  return s;
}

// Average 100-byte write + fdatasync: appended (the file grows each time), or
// written over space filled and synced beforehand, as the journal does.
double fsync_us(const std::string& path, bool prefilled) {
  constexpr int rounds = 1000;
  const std::string record(100, 'x');
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (prefilled) {
    const std::string fill(rounds * record.size(), '\n');
    if (::write(fd, fill.data(), fill.size()) < 0 || ::fdatasync(fd) != 0)
      return 0;
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    const auto at = static_cast<off_t>(i * record.size());
    if (::pwrite(fd, record.data(), record.size(), at) < 0 || ::fdatasync(fd) != 0)
      break;
  }
  double us = seconds_since(start) * 1e6 / rounds;
  ::close(fd);
  return us;
}

// Acknowledged schedules per second: `clients` actors, one request at a time each.
double acks_per_s(caf::actor_system& sys, const chronos_api& srv, std::size_t clients,
                  std::size_t total) {
  const std::size_t each = std::max<std::size_t>(1, total / clients);
  auto r = run_clients(sys, clients, each, 1, [&](caf::event_based_actor* self, std::size_t i, auto done) {
    self->request(srv, std::chrono::seconds(30), schedule_atom::value,
                  schedule_request{"client-" + std::to_string(i % 64), when_spec::in(3'600'000), "", 0})
      .then([done](std::string&) { done(true); }, [done](caf::error&) { done(false); });
  });
  return static_cast<double>(each * clients) / r.seconds;
}

// Writes `snap` as a crash would leave it with a full journal: the state file
// holds the first half of the timeouts, the journal after it the second half
// as schedule records (at a million, about the default compaction threshold).
// Returns the journal's bytes of records, 0 if a write failed.
std::uint64_t save_with_journal(const std::string& path, const snapshot& snap) {
  const auto half = snap.pending.begin() + static_cast<std::ptrdiff_t>(snap.pending.size() / 2);
  snapshot first;
  first.saved_at = snap.saved_at;
  first.pending.assign(snap.pending.begin(), half);
  if (!save_state(path, first))
    return 0;
  auto journal = journal_writer::create(journal_path(path, first.generation), first.generation);
  if (!journal)
    return 0;
  std::string records;
  for (auto t = half; t != snap.pending.end(); ++t) {
    append_record(records, change{change::op::schedule, t->token, *t, {}, {}});
    if (records.size() >= (1u << 20)) {
      if (!journal->append(records))
        return 0;
      records.clear();
    }
  }
  return journal->append(records) && journal->sync() ? journal->size() : 0;
}

// Starts chronos on `path` and reports the time to serving and to the last
// of `overdue` deliveries, as `figure`_s and `figure`_overdue_s.
void time_restore(const std::string& path, std::size_t overdue, const std::string& figure,
                  const std::string& what, report& out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  std::promise<void> all_delivered;
  auto count = std::make_shared<std::size_t>(0);
  auto receiver = sys.spawn([&, count](caf::event_based_actor*, int) -> caf::behavior {
    return {[&, count](const chronos_timeout&) {
      if (++*count == overdue)
        all_delivered.set_value();
    }};
  }, 0);
  const auto start = std::chrono::steady_clock::now();
  server_config config;
  config.state_path = path;
  auto srv = spawn_server(sys, config);
  if (!srv)
    return;
  caf::scoped_actor self{sys};
  self->request(*srv, caf::infinite, stats_atom::value).receive([](stats_info&) {}, [](caf::error&) {});
  out.add({"restore", "chronos", figure + "_s", seconds_since(start), "s", "to serving, " + what});
  self->request(*srv, caf::infinite, register_atom::value, std::string{"overdue"}, receiver)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  all_delivered.get_future().wait();
  out.add({"restore", "chronos", figure + "_overdue_s", seconds_since(start), "s",
           "to the last of " + std::to_string(overdue) + " overdue deliveries"});
  caf::anon_send_exit(*srv, caf::exit_reason::kill);
  caf::anon_send_exit(receiver, caf::exit_reason::kill);
}

} // namespace

void run_restore(const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : 1'000'000;
  std::size_t overdue = 0;
  const auto snap = backlog(n, opts.seed, overdue);
  {
    scratch tmp;
    const auto path = tmp.file("chronos.json");
    // What shutdown and compaction write: the state's timeouts in order,
    // encoded, written and synced.
    server_state held;
    if (!held.restore(snap))
      return;
    const auto start = std::chrono::steady_clock::now();
    if (!save_state(path, held, snap.saved_at, 0))
      return;
    out.add({"restore", "chronos", "snapshot_s", seconds_since(start), "s",
             std::to_string(n) + " timeouts, from the server's state"});
    time_restore(path, overdue, "restore", std::to_string(n) + " timeouts, 10% overdue", out);
  }
  scratch tmp;
  const auto path = tmp.file("chronos.json");
  const auto journal_bytes = save_with_journal(path, snap);
  if (journal_bytes == 0)
    return;
  time_restore(path, overdue, "restore_journal",
               std::to_string(n) + " timeouts, half of them in a journal of "
                 + std::to_string(journal_bytes / 1000) + " kB",
               out);
}

void run_durable(const options& opts, report& out) {
  scratch tmp;
  out.add({"durable", "disk", "fsync_us", fsync_us(tmp.file("probe"), false), "us",
           "append 100 B + fdatasync"});
  out.add({"durable", "disk", "fsync_reserved_us", fsync_us(tmp.file("probe"), true), "us",
           "write 100 B over filled space + fdatasync (the journal's case)"});
  for (bool remote : {false, true}) {
    for (auto mode : {durability::always, durability::interval, durability::shutdown}) {
      for (std::size_t clients : {1, 8, 64}) {
        const std::size_t total = opts.n ? opts.n : (mode == durability::always ? 20'000 : 100'000);
        scratch dir;
        caf::actor_system_config server_cfg;
        caf::actor_system server_sys{configure(server_cfg)};
        server_config config;
        config.state_path = dir.file("chronos.json");
        config.mode = mode;
        auto srv = spawn_server(server_sys, config);
        if (!srv)
          return;
        double rate = 0;
        if (remote) {
          auto port = server_sys.middleman().publish(*srv, 0, "127.0.0.1", true);
          caf::actor_system_config client_cfg;
          caf::actor_system client_sys{configure(client_cfg, side::client)};
          auto handle = connect(client_sys, "127.0.0.1", *port, std::chrono::seconds(5));
          if (handle)
            rate = acks_per_s(client_sys, *handle, clients, total);
        } else {
          rate = acks_per_s(server_sys, *srv, clients, total);
        }
        out.add({"durable", "chronos", "acks_per_s", rate, "1/s",
                 std::string{to_string(mode)} + ", " + std::to_string(clients) + " clients, "
                   + (remote ? "remote" : "in-process")});
        caf::anon_send_exit(*srv, caf::exit_reason::kill);
      }
    }
  }
}

void run_compact(const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : 1'000'000;
  scratch tmp;
  const auto path = tmp.file("chronos.json");
  std::size_t overdue = 0;
  // No overdue backlog: the first requests would wait for it, not for compaction.
  if (!save_state(path, backlog(n, opts.seed, overdue, false)))
    return;
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  server_config config;
  config.state_path = path;
  config.compact_bytes = 1 << 20; // reached after a few thousand schedules
  auto srv = spawn_server(sys, config);
  if (!srv)
    return;
  // One request at a time, each timed, until well after the compaction began.
  caf::scoped_actor self{sys};
  std::vector<double> latency_ms;
  const auto start = std::chrono::steady_clock::now();
  std::size_t journals_seen = 1;
  while (seconds_since(start) < 60) {
    const auto t = std::chrono::steady_clock::now();
    self->request(*srv, std::chrono::seconds(30), schedule_atom::value,
                  schedule_request{"probe", when_spec::in(3'600'000), std::string(100, 'p'), 0})
      .receive([](std::string&) {}, [](caf::error&) {});
    latency_ms.push_back(seconds_since(t) * 1000);
    if (latency_ms.size() % 500 == 0) {
      auto gens = list_journals(path);
      if (gens && gens->size() == 1 && gens->front() > 1 && journals_seen++ > 4)
        break; // compacted (older journal removed) a while ago
    }
  }
  out.add({"compact", "chronos", "latency_max_ms", percentile(latency_ms, 100), "ms",
           std::to_string(n) + " timeouts, compaction during the run"});
  out.add({"compact", "chronos", "latency_p99_ms", percentile(latency_ms, 99), "ms", ""});
  out.add({"compact", "chronos", "latency_p50_ms", percentile(latency_ms, 50), "ms", ""});
  caf::anon_send_exit(*srv, caf::exit_reason::kill);
}

} // namespace chronos::bench
