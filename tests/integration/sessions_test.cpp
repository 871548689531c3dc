// The session store example, a real process fed through a FIFO: sessions
// expire on time, survive SIGKILL, and one that expired meanwhile is never
// served again.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/process.hpp"

using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

// chronos-sessions with its standard input on a FIFO this test writes to.
struct sessions {
  std::string fifo;
  std::unique_ptr<process> proc;
  int writer = -1;
  std::size_t answered = 0;

  sessions(const temp_dir& dir, std::vector<std::string> args, const std::string& tag)
    : fifo(dir.file(tag + ".in")) {
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    args.insert(args.begin(), SESSIONS_PATH);
    proc = std::make_unique<process>(args, dir, tag, fifo);
    writer = ::open(fifo.c_str(), O_WRONLY); // the child holds it open: no wait
    REQUIRE(writer >= 0);
  }
  ~sessions() { ::close(writer); }

  /// Sends one command and returns its answer (the next line of output that
  /// is not an expiry notice).
  std::string ask(const std::string& command) {
    send(command);
    std::vector<std::string> answers;
    const bool answered_in_time = wait_until(
      [&] {
        answers = replies();
        return answers.size() > answered;
      },
      20s, 10ms);
    INFO("stderr: " << proc->err());
    REQUIRE(answered_in_time);
    return answers[answered++];
  }

  void send(const std::string& command) {
    const auto line = command + "\n";
    REQUIRE(::write(writer, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }

  std::vector<std::string> replies() const {
    std::vector<std::string> out;
    for (const auto& l : lines(proc->out()))
      if (l.rfind("expired ", 0) != 0)
        out.push_back(l);
    return out;
  }
};

} // namespace

TEST_CASE("sessions expire on time and are reported as they go") {
  temp_dir dir;
  sessions s{dir, {"--ttl", "1500ms"}, "expiry"};
  const auto id = s.ask("login alice");
  REQUIRE(id.size() == 29);
  CHECK(s.ask("whoami " + id) == "alice");
  CHECK(s.ask("touch " + id) == "ok");
  const auto bob = s.ask("login bob");
  CHECK(s.ask("logout " + bob) == "ok");
  CHECK(s.ask("logout " + bob) == "none");
  CHECK(s.ask("count") == "1");
  CHECK(s.proc->wait_for_output("expired " + id + " alice", 20s));
  CHECK(s.ask("whoami " + id) == "none");
  CHECK(s.ask("touch " + id) == "none");
  CHECK(s.ask("count") == "0");
  CHECK(s.ask("frobnicate x").rfind("error: unknown command 'frobnicate'", 0) == 0);
  CHECK(s.ask("login").rfind("error: 'login' needs one argument", 0) == 0);
  CHECK(s.proc->out().find("expired " + bob) == std::string::npos); // logged out, not expired
}

TEST_CASE("sessions survive SIGKILL, one that expired meanwhile is never served") {
  temp_dir dir;
  const auto file = dir.file("sessions.json");
  std::string keeps, lapses;
  {
    sessions s{dir, {"--file", file, "--ttl", "1h"}, "first"};
    keeps = s.ask("login alice");
    REQUIRE(keeps.size() == 29);
    s.proc->signal(SIGKILL);
    REQUIRE(s.proc->wait(10s) == 128 + SIGKILL);
  }
  {
    sessions s{dir, {"--file", file, "--ttl", "1s"}, "second"};
    CHECK(s.ask("whoami " + keeps) == "alice");
    lapses = s.ask("login bob");
    s.proc->signal(SIGKILL);
    REQUIRE(s.proc->wait(10s) == 128 + SIGKILL);
  }
  std::this_thread::sleep_for(1500ms); // bob's session lapses while nothing runs
  sessions s{dir, {"--file", file}, "third"};
  CHECK(s.ask("whoami " + lapses) == "none");
  CHECK(s.ask("whoami " + keeps) == "alice");
  CHECK(s.ask("count") == "1");
  s.send("quit");
  CHECK(s.proc->wait(20s) == 0);
}

TEST_CASE("a damaged session file stops the start with its name") {
  temp_dir dir;
  const auto file = dir.file("sessions.json");
  spit(file, "{\"format\": \"chronos-state\", \"version\": 1, \"timeouts\": [");
  process p{{SESSIONS_PATH, "--file", file}, dir, "damaged"};
  CHECK(p.wait(20s) == 1);
  CHECK(p.err().find(file) != std::string::npos);
  CHECK(slurp(file) == "{\"format\": \"chronos-state\", \"version\": 1, \"timeouts\": [");
}
