#pragma once

// A chronosd per test and the chronosctl calls the command-line tests share.

#include "chronosd_process.hpp"

namespace chronos::test {

struct cli_fixture {
  temp_dir dir;
  chronosd_process d = chronosd_process::start(dir, dir.file("chronos.json"));

  std::string schedule(const std::string& name, std::vector<std::string> more) {
    std::vector<std::string> args{"schedule", name};
    args.insert(args.end(), more.begin(), more.end());
    auto tok = trim(ctl_ok(dir, d.port, args));
    REQUIRE(tok.size() == 29);
    return tok;
  }

  /// Runs `watch NAME --count N`, returns its lines.
  std::vector<std::string> watch(const std::string& name, int count, bool as_json = false) {
    std::vector<std::string> args{"watch", name, "--count", std::to_string(count)};
    if (as_json)
      args.push_back("--json");
    auto r = ctl(dir, d.port, args, std::chrono::seconds{60});
    INFO("watch stderr: " << r.err);
    REQUIRE(r.status == 0);
    return lines(r.out);
  }

  run_result fails(std::vector<std::string> args) { return ctl(dir, d.port, args); }
};

} // namespace chronos::test
