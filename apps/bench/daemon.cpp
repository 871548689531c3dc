#include "daemon.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace chronos::bench {

namespace fs = std::filesystem;

std::string find_chronosd(const std::string& given) {
  if (!given.empty())
    return given;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (const auto& near : {self.parent_path() / "chronosd",
                             self.parent_path().parent_path() / "chronosd"})
      if (fs::exists(near))
        return near.string();
  return "chronosd"; // on PATH
}

daemon_process::daemon_process(const std::string& program, const std::vector<std::string>& args,
                               const std::string& dir, const std::string& tag,
                               std::chrono::seconds within)
  : out_path_(dir + "/" + tag + ".out") {
  const auto err_path = dir + "/" + tag + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv)
    raw.push_back(a.data());
  raw.push_back(nullptr);
  const int spawned = posix_spawnp(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw std::runtime_error{"cannot start " + program};
  const std::regex listening{"listening on 127\\.0\\.0\\.1:([0-9]+)"};
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream in{out_path_};
    const std::string out{std::istreambuf_iterator<char>{in}, {}};
    if (std::smatch m; std::regex_search(out, m, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      std::ifstream err{err_path};
      throw std::runtime_error{program + " exited: "
                               + std::string{std::istreambuf_iterator<char>{err}, {}}};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  kill_now();
  throw std::runtime_error{program + " did not listen within " + std::to_string(within.count())
                           + " s"};
}

daemon_process::~daemon_process() { kill_now(); }

void daemon_process::kill_now() {
  if (pid_ <= 0 || exited_)
    return;
  ::kill(pid_, SIGKILL);
  int ignored = 0;
  ::waitpid(pid_, &ignored, 0);
  exited_ = true;
}

void daemon_process::stop(int sig, std::chrono::seconds within) {
  if (exited_)
    return;
  ::kill(pid_, sig);
  const auto until = std::chrono::steady_clock::now() + within;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error{"a chronosd did not exit within " + std::to_string(within.count())
                               + " s"};
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  exited_ = true;
}

} // namespace chronos::bench
