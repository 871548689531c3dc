#include "child.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <sys/wait.h>
#include <unistd.h>

namespace chronos::bench {

int figures_from_child(const std::function<void()>& body, report& out) {
  int fds[2];
  if (::pipe(fds) != 0)
    return -1;
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[1]);
    try {
      body();
    } catch (const std::exception& e) {
      std::cerr << "chronos-bench: " << e.what() << std::endl;
      std::_Exit(1);
    }
    std::cout.flush();
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::unique_ptr<FILE, int (*)(FILE*)> in{::fdopen(fds[0], "r"), &std::fclose};
  char* line = nullptr;
  std::size_t room = 0;
  while (in && ::getline(&line, &room, in.get()) > 0)
    if (auto f = parse_figure(line))
      out.add(std::move(*f));
  std::free(line);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace chronos::bench
