#pragma once

// A real chronosd on 127.0.0.1 for integration tests: a free port, a state file
// in a temp folder, and chronosctl invocations against it.

#include <catch2/catch.hpp>

#include <memory>
#include <regex>
#include <thread>

#include "process.hpp"

namespace chronos::test {

struct chronosd_process {
  std::unique_ptr<process> proc;
  std::uint16_t port = 0;

  /// Starts chronosd and waits for "listening on"; `port` 0 lets it choose.
  static chronosd_process start(const temp_dir& dir, const std::string& state, std::uint16_t port = 0,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--port", std::to_string(port), "--state", state};
    args.insert(args.end(), extra.begin(), extra.end());
    return launch(dir, std::move(args));
  }

  /// Starts chronosd with exactly `args` (any free port unless they say).
  static chronosd_process launch(const temp_dir& dir, std::vector<std::string> args) {
    static int counter = 0;
    std::vector<std::string> argv{CHRONOSD_PATH, "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    chronosd_process d;
    d.proc = std::make_unique<process>(argv, dir, "chronosd" + std::to_string(++counter));
    INFO("chronosd stderr: " << d.proc->err());
    REQUIRE(d.proc->wait_for_output("listening on", std::chrono::seconds{20}));
    std::smatch m;
    auto out = d.proc->out();
    REQUIRE(std::regex_search(out, m, std::regex{"listening on 127\\.0\\.0\\.1:([0-9]+)"}));
    d.port = static_cast<std::uint16_t>(std::stoi(m[1]));
    return d;
  }

  /// SIGTERM, and the exit status.
  int stop() {
    proc->signal(SIGTERM);
    // Generous: a sanitizer build saving a large state on a busy machine is slow.
    auto status = proc->wait(std::chrono::seconds{90});
    REQUIRE(status);
    return *status;
  }
};

/// Runs chronosctl against `port` with `args`.
inline run_result ctl(const temp_dir& dir, std::uint16_t port, std::vector<std::string> args,
                      std::chrono::milliseconds limit = std::chrono::seconds{30}) {
  // chronosctl's own 5 s default is too short for sanitizer builds on a busy
  // machine (TSan: 5-10x slower); a later --timeout in `args` wins.
  std::vector<std::string> argv{CHRONOSCTL_PATH, "--port", std::to_string(port), "--timeout", "20s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, dir, limit);
}

/// Runs chronosctl and requires success; returns its standard output.
inline std::string ctl_ok(const temp_dir& dir, std::uint16_t port, std::vector<std::string> args) {
  auto r = ctl(dir, port, args);
  INFO("chronosctl stderr: " << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

/// Repeats a chronosctl query until `done` accepts its output or `limit` passes:
/// for effects chronosd applies asynchronously, like a vanished peer's names.
/// Returns the last output.
template <class Done>
std::string ctl_until(const temp_dir& dir, std::uint16_t port, const std::vector<std::string>& args,
                      Done done, std::chrono::milliseconds limit = std::chrono::seconds{20}) {
  std::string out;
  wait_until(
    [&] {
      out = ctl_ok(dir, port, args);
      return done(out);
    },
    limit, std::chrono::milliseconds{50});
  return out;
}

/// Deadlines for `--at`, as epoch milliseconds, fixed when a test starts: the
/// order of the deadlines then does not depend on how fast each chronosctl
/// call is (sanitizer builds are several times slower).
struct deadlines {
  std::int64_t base = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();

  std::string after(std::chrono::milliseconds offset) const {
    return std::to_string(base + offset.count());
  }
};

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace chronos::test
