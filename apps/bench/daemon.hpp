#pragma once

// A chronosd of the bench's own (the failover workload kills one): found
// beside chronos-bench, started with the arguments given, its output in a
// scratch folder.

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace chronos::bench {

/// chronosd as `--chronosd` names it, else the one beside this program (in
/// the build tree or the installed bin folder), else the one on PATH.
std::string find_chronosd(const std::string& given);

class daemon_process {
public:
  /// Starts `program args...` with its output in `dir`, and waits (up to
  /// `within`) for "listening on 127.0.0.1:PORT"; throws if it does not come.
  daemon_process(const std::string& program, const std::vector<std::string>& args,
                 const std::string& dir, const std::string& tag, std::chrono::seconds within);
  ~daemon_process(); // SIGKILL if still running
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  std::uint16_t port() const { return port_; }

  /// Sends `sig`, then waits up to `within` for the exit.
  void stop(int sig, std::chrono::seconds within);

private:
  void kill_now();

  std::string out_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::uint16_t port_ = 0;
};

} // namespace chronos::bench
