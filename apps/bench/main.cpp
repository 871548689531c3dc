// chronos-bench: how fast and how lean chronos is, against what a CAF user would
// write instead (one delayed_send per timeout) and what an Erlang user would
// (erlang:send_after, where escript is installed), measured in the same run.
//
//   chronos-bench WORKLOAD [--n N] [--seed S] [--seconds S] [--runs R] [--json]
//                          [--store URL] [--chronosd PATH]
//   WORKLOAD: w1 w2 w3 w3_busy w4 restore remote durable compact failover

#include <exception>
#include <iostream>
#include <map>

#include "../cli.hpp"
#include "child.hpp"
#include "chronos/base/log.hpp"
#include "workloads.hpp"

using namespace chronos;
using namespace chronos::bench;

namespace {

constexpr const char* usage = R"(usage: chronos-bench WORKLOAD [--n N] [--seed S] [--seconds S] [--runs R] [--json]
                     [--store URL] [--chronosd PATH]

workloads:
  w1       schedule N timeouts (default 1,000,000), deadlines uniform in [1h, 2h]:
           schedules/s and bytes per pending timer; caf_echo: the request/response
           ceiling of CAF itself, driven the same way. One request at a time, then
           in batches of 1,000 from a client on CAF's pool and from a client on a
           thread of its own
  w2       w1, then cancel all of them in random order: cancels/s, the same ways
  w3       fire storm: N timeouts (default 100,000) due between 0.5 s and 1.5 s:
           deliveries/s and lateness p50/p99/max, and how long scheduling them
           took (past 0.5 s it is part of the lateness)
  w3_busy  w3 while two CPU-bound processes of normal priority run beside it
           (they end with chronos-bench, and after 2 minutes at the latest):
           punctuality on a machine that is not quiet
  w4       steady load: N schedules/s (default 100,000) for --seconds (default 10),
           90% cancelled before they fire: CPU per second of load, with one
           request per schedule and cancel, and with one batch of each a tick
  restore  a state file of N timeouts (default 1,000,000), 10% overdue: snapshot
           time, time to serving, time to the last overdue delivery; then the
           same after a crash with half of them in the journal
  remote   pipelined schedule requests over 127.0.0.1 from 1 and 8 client actors,
           to chronos's handle and through spawn_client (which coalesces them);
           caf_echo: the ceiling of CAF's remote request/response, a published
           actor that echoes an integer, driven the same way
  durable  acknowledged schedules/s for each durability mode with 1, 8, 64
           clients, in-process and remote; and this disk's fdatasync cost
  compact  request latency (one at a time, always mode) while a state of N
           timeouts (default 1,000,000) is compacted into a snapshot
  failover with --store: two chronosd (beside chronos-bench, or --chronosd) on
           a store of N timeouts (default 100,000, then 1,000,000); the
           leader is killed with SIGKILL: the time until the standby
           acknowledges its first change

--store URL (a libpq URL) runs restore, durable and failover on that
PostgreSQL database instead of files: restore times a leader's load of the
store, durable the modes always and interval. They empty the database's
chronos tables before and after: give them a database of their own.

w1 to w4 (w3_busy too) also run erlang_send_after, what an Erlang user writes instead:
erlang:send_after per timeout, erlang:cancel_timer to cancel (needs escript,
from Debian's erlang-base; without it that baseline is left out).

--runs R runs the workload R times (default 1), each in a process of its own,
then prints each figure's median and range, and chronos's ratio to each
baseline taken within each run.
--json prints one JSON object per figure (and per median).
)";

using workload_fn = void (*)(const options&, report&);

const std::map<std::string, workload_fn> workloads{
  {"w1", run_w1},           {"w2", run_w2},         {"w3", run_w3}, {"w3_busy", run_w3_busy},
  {"w4", run_w4},           {"restore", run_restore}, {"remote", run_remote},
  {"durable", run_durable}, {"compact", run_compact}, {"failover", run_failover},
};

// One run in a process of its own, as a separate invocation would be: RSS
// deltas and the allocator's free memory start afresh.
bool run_in_child(workload_fn run, const options& opts, report& out) {
  return figures_from_child([&] {
    report child{true, 1};
    run(opts, child);
  }, out) == 0;
}

} // namespace

int main(int argc, char** argv) {
  set_log_level(log_level::warning);
  options opts;
  std::string workload;
  bool as_json = false;
  std::size_t runs = 1;
  try {
    cli::args args{argc, argv};
    while (!args.done()) {
      auto arg = args.next();
      if (arg == "--help" || arg == "-h") {
        std::cout << usage;
        return 0;
      } else if (arg == "--json") {
        as_json = true;
      } else if (arg == "--n") {
        auto n = cli::parse_uint(args.value(arg), 1'000'000'000);
        if (!n || *n == 0)
          throw cli::usage_error{"--n needs a positive integer"};
        opts.n = *n;
      } else if (arg == "--seed") {
        auto s = cli::parse_uint(args.value(arg), UINT64_MAX);
        if (!s)
          throw cli::usage_error{"--seed needs an integer"};
        opts.seed = *s;
      } else if (arg == "--seconds") {
        auto s = cli::parse_uint(args.value(arg), 3600);
        if (!s || *s == 0)
          throw cli::usage_error{"--seconds needs a positive integer"};
        opts.seconds = static_cast<double>(*s);
      } else if (arg == "--store") {
        opts.store = args.value(arg);
        if (opts.store.empty())
          throw cli::usage_error{"--store needs a PostgreSQL URL"};
      } else if (arg == "--chronosd") {
        opts.chronosd = args.value(arg);
      } else if (arg == "--runs") {
        auto r = cli::parse_uint(args.value(arg), 100);
        if (!r || *r == 0)
          throw cli::usage_error{"--runs needs an integer from 1 to 100"};
        runs = *r;
      } else if (workload.empty() && workloads.count(arg)) {
        workload = arg;
      } else {
        throw cli::usage_error{"unknown argument '" + arg + "' (see --help)"};
      }
    }
    if (workload.empty())
      throw cli::usage_error{"no workload given (see --help)"};
    if (!opts.store.empty() && workload != "restore" && workload != "durable"
        && workload != "failover")
      throw cli::usage_error{"--store is for restore, durable and failover"};
  } catch (const cli::usage_error& e) {
    std::cerr << "chronos-bench: " << e.message << "\n";
    return 2;
  }
  report out{as_json, runs};
  const auto run = workloads.at(workload);
  if (runs == 1) {
    try {
      run(opts, out);
    } catch (const std::exception& e) {
      std::cerr << "chronos-bench: " << e.what() << "\n";
      return 1;
    }
  } else {
    for (std::size_t k = 1; k <= runs; ++k) {
      out.begin_run(k);
      if (!run_in_child(run, opts, out)) {
        std::cerr << "chronos-bench: run " << k << " of " << workload << " failed\n";
        return 1;
      }
    }
  }
  out.print_summary();
  return 0;
}
