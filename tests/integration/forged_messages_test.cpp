// A peer that sends what only chronosd itself, or CAF inside it, may send:
// the actor's own timer and journal messages (as the atoms a peer would try,
// and as the very C++ types chronos uses, registered under their names), and
// CAF's exit, down, error, timeout and stream messages. In every durability
// mode chronosd must stay up, keep its clients' names, do nothing nobody
// asked for, and save its state when told to stop.

#include "../support/caf_node.hpp"
#include "../support/chronosd_process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>

#include "server/internal_messages.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

// A client node that also knows chronos's internal types by their names, as
// an attacker with the source would.
struct forging_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  forging_node() {
    register_types(cfg);
    cfg.add_message_type<detail::wakeup_msg>("chronos_internal_wakeup");
    cfg.add_message_type<detail::redeliver_msg>("chronos_internal_redeliver");
    cfg.add_message_type<detail::commit_msg>("chronos_internal_commit");
    cfg.add_message_type<detail::written_msg>("chronos_internal_written");
    cfg.add_message_type<detail::retry_msg>("chronos_internal_retry");
    cfg.add_message_type<detail::sync_msg>("chronos_internal_sync");
    cfg.add_message_type<detail::compacted_msg>("chronos_internal_compacted");
    cfg.load<caf::io::middleman>();
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

// What a hostile peer sends to the actor behind `srv`. `who`'s down message
// is forged too: it names a live actor of this node.
void send_forgeries(const caf::actor& srv, const caf::actor& who, const std::string& token) {
  // The actor's own messages, as atoms ...
  for (std::uint64_t generation = 0; generation < 16; ++generation)
    caf::anon_send(srv, caf::atom("wakeup"), generation);
  caf::anon_send(srv, caf::atom("redeliver"), token, std::int64_t{0});
  caf::anon_send(srv, caf::atom("commit"));
  caf::anon_send(srv, caf::atom("written"));
  caf::anon_send(srv, caf::atom("retry"));
  caf::anon_send(srv, caf::atom("compacted"), std::uint64_t{1}, std::string{});
  for (int i = 0; i < 5000; ++i)
    caf::anon_send(srv, caf::atom("sync"));
  // ... and as chronos's own types.
  for (std::uint64_t generation = 0; generation < 16; ++generation)
    caf::anon_send(srv, detail::wakeup_msg{generation});
  caf::anon_send(srv, detail::redeliver_msg{token, 0});
  caf::anon_send(srv, detail::commit_msg{});
  caf::anon_send(srv, detail::written_msg{});
  caf::anon_send(srv, detail::retry_msg{});
  caf::anon_send(srv, detail::compacted_msg{1, ""});
  for (int i = 0; i < 5000; ++i)
    caf::anon_send(srv, detail::sync_msg{});
  // CAF's system messages.
  caf::anon_send(srv, caf::make_error(caf::sec::runtime_error, "forged"));
  caf::anon_send(srv, caf::down_msg{who.address(), caf::exit_reason::kill});
  caf::anon_send(srv, caf::timeout_msg{caf::atom("stream"), 1});
  caf::anon_send(srv, caf::timeout_msg{caf::atom("receive"), 1});
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(srv);
  for (auto category : {caf::message_id::upstream_message_category,
                        caf::message_id::downstream_message_category})
    ptr->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id().with_category(category),
                                           {}, std::string{"not a stream"}),
                 nullptr);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(srv, caf::exit_reason::kill);
}

} // namespace

TEST_CASE("a peer cannot send chronosd the messages only chronosd itself may send") {
  const auto mode = GENERATE(as<std::string>{}, "always", "interval", "shutdown");
  INFO("durability " << mode);
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state, 0, {"--durability", mode});
  INFO("chronosd stderr: " << d.proc->err());
  std::string kept;
  {
    forging_node node;
    auto srv = connect(*node.sys, "127.0.0.1", d.port, 5s);
    REQUIRE(srv);
    auto received = std::make_shared<std::atomic<int>>(0);
    auto watcher = node.sys->spawn(
      [](caf::event_based_actor*, std::shared_ptr<std::atomic<int>> count) -> caf::behavior {
        return {[count](const chronos_timeout&) { ++*count; }};
      },
      received);
    caf::scoped_actor self{*node.sys};
    auto schedule = [&](std::int64_t in_ms, const std::string& payload) {
      std::string token;
      self->request(*srv, 10s, schedule_atom::value, schedule_request{"w", when_spec::in(in_ms), payload, 0})
        .receive([&](const std::string& tok) { token = tok; },
                 [&](caf::error& e) { FAIL(describe(e)); });
      return token;
    };
    self->request(*srv, 10s, register_atom::value, std::string{"w"}, watcher)
      .receive([](caf::ok_atom) {}, [&](caf::error& e) { FAIL(describe(e)); });
    kept = schedule(3'600'000, "kept");
    stats_info before;
    self->request(*srv, 10s, stats_atom::value)
      .receive([&](const stats_info& s) { before = s; }, [&](caf::error& e) { FAIL(describe(e)); });

    send_forgeries(caf::actor_cast<caf::actor>(*srv), watcher, kept);

    // Answered after everything before it on this connection: chronosd is up.
    stats_info after;
    self->request(*srv, 20s, stats_atom::value)
      .receive([&](const stats_info& s) { after = s; }, [&](caf::error& e) { FAIL(describe(e)); });
    CHECK_FALSE(d.proc->wait(0ms));
    CHECK(after.scheduled == before.scheduled);
    CHECK(after.fired == before.fired);
    CHECK(after.delivered == before.delivered);
    CHECK(after.cancelled == before.cancelled);
    CHECK(after.redelivered == 0);
    CHECK(after.compactions == before.compactions);
    CHECK(after.names == 1);
    CHECK(after.writable);

    // The forged down message left the name bound, and wake-ups still work.
    schedule(200, "soon");
    CHECK(wait_until([&] { return received->load() == 1; }, 20s));

    // No loop of its own was started: idle, chronosd does next to nothing.
    const auto cpu_before = cpu_time_ms(d.proc->pid());
    std::this_thread::sleep_for(2s);
    CHECK(cpu_time_ms(d.proc->pid()) - cpu_before < 400);
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  }
  const auto log = d.proc->err();
  CHECK(log.find("refused a message only this process may send") != std::string::npos);
  CHECK(log.find("ignored a message chronos does not understand") != std::string::npos);
  // The log says how many it held back rather than growing with each.
  CHECK(std::count(log.begin(), log.end(), '\n') < 200);
  CHECK(d.stop() == 0);

  auto again = chronosd_process::start(dir, state, 0, {"--durability", mode});
  const auto listed = ctl_ok(dir, again.port, {"list", "--json"});
  CHECK(listed.find(kept) != std::string::npos);
  CHECK(again.stop() == 0);
}
