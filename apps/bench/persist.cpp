// Restore (a large state file) and durable (acknowledged schedules per
// durability mode, with this disk's fsync cost measured in the same run).

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "chronos/client/client.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/server/server.hpp"
#include "chronos/store/journal.hpp"
#include "chronos/store/state_file.hpp"
#include "fixtures.hpp"
#include "harness.hpp"
#include "store.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

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

// How a server starts serving: from a state file, or leading the store.
using start_fn = std::function<chronos_api(caf::actor_system&)>;

start_fn from_file(const std::string& path) {
  return [path](caf::actor_system& sys) {
    server_config config;
    config.state_path = path;
    auto srv = spawn_server(sys, config);
    if (!srv)
      throw std::runtime_error{"cannot restore " + path + ": " + srv.error().detail};
    caf::scoped_actor self{sys};
    self->request(*srv, caf::infinite, stats_atom::value)
      .receive([](stats_info&) {}, [](caf::error&) {});
    return *srv;
  };
}

// Starts chronos as `start_serving` says and reports the time to serving and to the
// last of `overdue` deliveries, as `figure`_s and `figure`_overdue_s, and
// the memory it took per timeout of `n`, as `figure`_rss_per_timeout_b.
void time_restore(const start_fn& start_serving, std::size_t n, std::size_t overdue,
                  const std::string& figure, const std::string& what, report& out) {
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
  const auto rss_before = rss_bytes();
  const auto start = std::chrono::steady_clock::now();
  const auto srv = start_serving(sys);
  out.add({"restore", "chronos", figure + "_s", seconds_since(start), "s", "to serving, " + what});
  out.add({"restore", "chronos", figure + "_rss_per_timeout_b",
           static_cast<double>(rss_bytes() - rss_before) / static_cast<double>(n), "B",
           "resident memory taken, per timeout"});
  caf::scoped_actor self{sys};
  self->request(srv, caf::infinite, register_atom::value, std::string{"overdue"}, receiver)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  all_delivered.get_future().wait();
  out.add({"restore", "chronos", figure + "_overdue_s", seconds_since(start), "s",
           "to the last of " + std::to_string(overdue) + " overdue deliveries"});
  caf::anon_send_exit(srv, caf::exit_reason::kill);
  caf::anon_send_exit(receiver, caf::exit_reason::kill);
}

} // namespace

void run_restore(const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : 1'000'000;
  std::size_t overdue = 0;
  const auto snap = backlog(n, opts.seed, overdue);
  const auto what = std::to_string(n) + " timeouts, 10% overdue";
  if (!opts.store.empty()) {
    fill_store(opts.store, snap);
    time_restore([&](caf::actor_system& sys) {
      return spawn_leader(sys, opts.store, durability::always, std::chrono::seconds{120});
    }, n, overdue, "restore_store", what + ", from PostgreSQL", out);
    empty_store(opts.store);
    return;
  }
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
    time_restore(from_file(path), n, overdue, "restore", what, out);
  }
  scratch tmp;
  const auto path = tmp.file("chronos.json");
  const auto journal_bytes = save_with_journal(path, snap);
  if (journal_bytes == 0)
    return;
  time_restore(from_file(path), n, overdue, "restore_journal",
               std::to_string(n) + " timeouts, half of them in a journal of "
                 + std::to_string(journal_bytes / 1000) + " kB",
               out);
}

void run_durable(const options& opts, report& out) {
  const bool on_store = !opts.store.empty();
  scratch tmp;
  if (!on_store) {
    out.add({"durable", "disk", "fsync_us", fsync_us(tmp.file("probe"), false), "us",
             "append 100 B + fdatasync"});
    out.add({"durable", "disk", "fsync_reserved_us", fsync_us(tmp.file("probe"), true), "us",
             "write 100 B over filled space + fdatasync (the journal's case)"});
  }
  const auto modes = on_store ? std::vector<durability>{durability::always, durability::interval}
                              : std::vector<durability>{durability::always, durability::interval,
                                                        durability::shutdown};
  for (bool remote : {false, true}) {
    for (auto mode : modes) {
      for (std::size_t clients : {1, 8, 64}) {
        const std::size_t total = opts.n ? opts.n : (mode == durability::always ? 20'000 : 100'000);
        scratch dir;
        caf::actor_system_config server_cfg;
        caf::actor_system server_sys{configure(server_cfg)};
        chronos_api srv;
        if (on_store) {
          empty_store(opts.store);
          srv = spawn_leader(server_sys, opts.store, mode, std::chrono::seconds{60});
        } else {
          server_config config;
          config.state_path = dir.file("chronos.json");
          config.mode = mode;
          auto spawned = spawn_server(server_sys, config);
          if (!spawned)
            throw std::runtime_error{"durable: " + spawned.error().detail};
          srv = *spawned;
        }
        std::optional<double> rate;
        if (remote) {
          auto port = server_sys.middleman().publish(srv, 0, "127.0.0.1", true);
          caf::actor_system_config client_cfg;
          caf::actor_system client_sys{configure(client_cfg, side::client)};
          auto handle = connect(client_sys, "127.0.0.1", *port, std::chrono::seconds(5));
          if (handle)
            rate = acks_per_s(client_sys, *handle, clients, total);
        } else {
          rate = acks_per_s(server_sys, srv, clients, total);
        }
        const auto what = std::string{to_string(mode)} + ", " + std::to_string(clients)
                          + " clients, " + (remote ? "remote" : "in-process")
                          + (on_store ? ", PostgreSQL" : "");
        if (!rate)
          throw std::runtime_error{"durable: requests failed (" + what + ")"};
        out.add({"durable", "chronos", on_store ? "store_acks_per_s" : "acks_per_s", *rate, "1/s",
                 what});
        caf::anon_send_exit(srv, caf::exit_reason::kill);
      }
    }
  }
  if (on_store)
    empty_store(opts.store);
}

void run_compact(const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : 1'000'000;
  scratch tmp;
  const auto path = tmp.file("chronos.json");
  std::size_t overdue = 0;
  // No overdue backlog: the first requests would wait for it, not for compaction.
  if (!save_state(path, backlog(n, opts.seed, overdue, overdue_share::none)))
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
