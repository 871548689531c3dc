// Delivery: a timeout that comes due goes to its name's actor, or to the next
// member of its group; a group may want each delivery acknowledged, and one
// not acknowledged in time goes to another member (at least once). While the
// name has no live actor, or while a delivery waits for its acknowledgement,
// the occurrence is parked, so that it survives a restart like any other.

#include "server/server_actor.hpp"

#include "chronos/base/log.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// The message takes `t`'s strings. Typed actors may send() only to typed
// actors; clients are dynamically typed.
void send_timeout(const caf::actor& to, timeout&& t) {
  caf::anon_send(to, chronos_timeout{t.token.str(), std::move(t.payload), std::move(t.name),
                                     to_epoch_ms(t.deadline)});
}

void expect_ack(server_actor self, const timeout& t, const name_directory::target& to) {
  auto& st = self->state;
  st.awaiting_ack[t.token] = {to_epoch_ms(t.deadline), to.who.address()};
  self->delayed_send(self, to.ack, redeliver_msg{t.token.str(), to_epoch_ms(t.deadline)});
}

} // namespace

void deliver(server_actor self, timeout&& t, system_clock::time_point at, bool on_time) {
  auto& st = self->state;
  auto to = st.directory.next(t.name);
  if (!to) {
    st.core.park(std::move(t));
    return;
  }
  // Parked until acknowledged. A recurring timeout has one occurrence waiting
  // at a time; a later one meets its misfire policy, as if parked.
  if (to->ack.count() > 0) {
    if (!st.core.park(t))
      return;
    expect_ack(self, t, *to);
  }
  st.core.record_delivery(duration_cast<microseconds>(at - t.deadline), on_time);
  send_timeout(to->who, std::move(t));
}

void redeliver(server_actor self, const std::string& tok, std::int64_t deadline_ms) {
  auto& st = self->state;
  auto parsed = token::parse(tok);
  auto waiting = parsed ? st.awaiting_ack.find(*parsed) : st.awaiting_ack.end();
  if (waiting == st.awaiting_ack.end() || waiting->second.deadline_ms != deadline_ms)
    return; // acknowledged, or superseded by a newer delivery
  auto t = st.core.parked(*parsed);
  auto to = t && to_epoch_ms(t->deadline) == deadline_ms
              ? st.directory.next(t->name, waiting->second.member)
              : std::nullopt;
  st.awaiting_ack.erase(waiting);
  // No member left (or the timeout was cancelled): it stays parked, if it is,
  // and goes out when the name registers or a member joins.
  if (!to || to->ack.count() == 0)
    return;
  ++st.redelivered;
  expect_ack(self, *t, *to);
  send_timeout(to->who, std::move(*t));
}

void forget_actor(server_actor self, const caf::actor_addr& who) {
  auto& st = self->state;
  for (const auto& name : st.directory.forget(who))
    log_info("an actor of '" + name + "' is down; its timeouts go to the rest or wait");
  // What it did not acknowledge goes to another member now, not when it is late.
  for (const auto& [tok, waiting] : st.awaiting_ack)
    if (waiting.member == who)
      self->send(self, redeliver_msg{tok.str(), waiting.deadline_ms});
}

} // namespace chronos::detail
