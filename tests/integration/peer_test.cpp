// A CAF peer that misbehaves: messages outside the protocol, and a node that
// vanishes with requests in flight. chronosd must keep serving everyone else.

#include "../support/chronosd_process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/client.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

struct caf_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  caf_node() {
    register_types(cfg);
    cfg.load<caf::io::middleman>();
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

} // namespace

TEST_CASE("messages outside the protocol are refused and chronosd keeps serving") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  caf_node node;
  auto srv = connect(*node.sys, "127.0.0.1", d.port, 5s);
  REQUIRE(srv);
  auto untyped = caf::actor_cast<caf::actor>(*srv);
  caf::scoped_actor self{*node.sys};
  caf::error refused;
  self->request(untyped, 5s, std::string{"hello?"}, 42)
    .receive([](caf::message&) {}, [&](caf::error& e) { refused = e; });
  CHECK(refused == caf::sec::unexpected_message);
  // A known atom with the wrong argument types is just as unknown.
  self->request(untyped, 5s, schedule_atom::value, std::string{"w"}, 5)
    .receive([](caf::message&) {}, [&](caf::error& e) { refused = e; });
  CHECK(refused == caf::sec::unexpected_message);
  CHECK(ctl(dir, d.port, {"stats"}).status == 0);
  CHECK(d.proc->err().find("ignored a message chronos does not understand") != std::string::npos);
}

TEST_CASE("a node that vanishes with requests in flight does not disturb chronosd") {
  temp_dir dir;
  auto d = chronosd_process::start(dir, dir.file("chronos.json"));
  for (int round = 0; round < 3; ++round) {
    caf_node node;
    auto srv = connect(*node.sys, "127.0.0.1", d.port, 5s);
    REQUIRE(srv);
    auto who = node.sys->spawn([](caf::event_based_actor*, int) -> caf::behavior {
      return {[](const chronos_timeout&) {}};
    }, 0);
    caf::scoped_actor self{*node.sys};
    // Fire requests and leave without reading the replies.
    for (int i = 0; i < 100; ++i)
      self->send(*srv, schedule_atom::value,
                 schedule_request{"gone", when_spec::in(3'600'000), "", 0});
    self->send(*srv, register_atom::value, std::string{"gone"}, who);
    caf::anon_send_exit(who, caf::exit_reason::kill);
    // Leaving the scope tears the node down: the connection drops mid-stream.
  }
  // The nodes' names are released when chronosd notices the connections drop.
  const auto has_no_names = [](const std::string& out) {
    return out.find("\"names\":0") != std::string::npos;
  };
  CHECK(has_no_names(ctl_until(dir, d.port, {"stats", "--json"}, has_no_names)));
  CHECK_FALSE(d.proc->wait(0ms));
  CHECK(d.stop() == 0);
}
