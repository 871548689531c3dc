#include "busy.hpp"

#include <csignal>
#include <cstdint>
#include <cstdlib>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace chronos::bench {

namespace {

[[noreturn]] void spin(pid_t parent, std::chrono::seconds bound) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL); // ends with the benchmark, however it ends
  if (::getppid() != parent)
    std::_Exit(0);
  // Not a reader of the parent's pipes: its figures end when the parent's do.
  const int null = ::open("/dev/null", O_WRONLY);
  ::dup2(null, STDOUT_FILENO);
  ::dup2(null, STDERR_FILENO);
  ::alarm(static_cast<unsigned>(bound.count())); // SIGALRM ends it
  volatile std::uint64_t x = 0;
  for (;;)
    x = x * 6364136223846793005ULL + 1;
}

} // namespace

busy_neighbours::busy_neighbours(int n, std::chrono::seconds bound) {
  for (int i = 0; i < n; ++i) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0)
      spin(parent, bound);
    if (pid > 0)
      pids_.push_back(pid);
  }
}

busy_neighbours::~busy_neighbours() {
  for (auto pid : pids_)
    ::kill(pid, SIGKILL);
  for (auto pid : pids_)
    ::waitpid(pid, nullptr, 0);
}

} // namespace chronos::bench
