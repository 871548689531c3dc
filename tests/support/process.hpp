#pragma once

// Runs the real programs for integration tests: a child process whose
// standard output and error go to files in a temp folder, read while it runs.

#include <chrono>
#include <cstdint>
#include <fcntl.h>
#include <stdexcept>
#include <optional>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

extern char** environ;

namespace chronos::test {

class process {
public:
  /// `argv[0]` is a path, or a program found on PATH. Standard input is
  /// /dev/null, or `input`: a FIFO the test writes to. It is opened
  /// read-write, so that opening it does not wait for a writer (the
  /// child would block before exec, and posix_spawn with it).
  process(std::vector<std::string> argv, const temp_dir& dir, const std::string& tag,
          const std::string& input = "")
    : out_path_(dir.file(tag + ".out")), err_path_(dir.file(tag + ".err")) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (input.empty())
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    else
      posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDWR, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0)
      throw std::runtime_error("cannot start " + argv[0]);
    posix_spawn_file_actions_destroy(&actions);
  }

  ~process() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int ignored;
      ::waitpid(pid_, &ignored, 0);
    }
  }

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }

  /// The exit status (128 + signal if killed), or nullopt if still running after `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!status_) {
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_)
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      else if (std::chrono::steady_clock::now() >= end)
        break;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return status_;
  }

  std::string out() const { return slurp(out_path_); }
  std::string err() const { return slurp(err_path_); }

  /// A memory figure in KiB from /proc/PID/status ("VmRSS", "RssAnon", ...);
  /// 0 once the process is gone or where the field is unknown.
  std::uint64_t status_kib(const std::string& field) const {
    const auto status = slurp("/proc/" + std::to_string(pid_) + "/status");
    const auto at = status.find("\n" + field + ":");
    return at == std::string::npos ? 0 : std::stoull(status.substr(at + field.size() + 2));
  }

  /// Waits until standard output holds `needle`; false after `limit`.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (out().find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= end || wait(std::chrono::milliseconds{0}))
        return out().find(needle) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return true;
  }

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

/// Polls `done` until it holds (true) or `limit` passes (false): for effects a
/// test can only observe from outside, like another process's output.
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds limit,
                std::chrono::milliseconds poll = std::chrono::milliseconds{20}) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up)
      return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

struct run_result {
  int status;
  std::string out;
  std::string err;
};

/// Runs a program to completion (killed after `limit`, status then 128 + SIGKILL).
inline run_result run(std::vector<std::string> argv, const temp_dir& dir,
                      std::chrono::milliseconds limit = std::chrono::seconds{30}) {
  static int counter = 0;
  process p{std::move(argv), dir, "run" + std::to_string(++counter)};
  auto status = p.wait(limit);
  if (!status) {
    p.signal(SIGKILL);
    status = p.wait(std::chrono::seconds{5});
  }
  return {status.value_or(-1), p.out(), p.err()};
}

/// CPU time (user + system) that process `pid` has used so far, in ms.
inline long cpu_time_ms(pid_t pid) {
  const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields{stat.substr(stat.rfind(')') + 2)};
  std::string skip;
  for (int i = 0; i < 11; ++i) // state .. cmajflt: fields 3 to 13
    fields >> skip;
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK);
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  if (start < text.size())
    out.push_back(text.substr(start));
  return out;
}

} // namespace chronos::test
