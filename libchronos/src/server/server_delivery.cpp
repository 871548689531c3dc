// Delivery: a timeout that comes due goes to its name's actor, or to the next
// member of its group; a group may want each delivery acknowledged, and one
// not acknowledged in time goes to another member (at least once). While the
// name has no live actor, or while a delivery waits for its acknowledgement,
// the occurrence is parked, so that it survives a restart like any other.

#include "server/server_actor.hpp"

#include <algorithm>
#include <tuple>

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
  const auto late_at = now(self) + to.ack;
  st.delivery.awaiting_ack[t.token] = {to_epoch_ms(t.deadline), to.who.address(), late_at};
  if (!st.wakeup.manual)
    self->delayed_send(self, to.ack, redeliver_msg{t.token.str(), to_epoch_ms(t.deadline)});
}

// The longest a group may give a member to acknowledge a delivery: a day.
constexpr std::int64_t max_ack_ms = 86'400'000;

// What register and join check before binding.
std::optional<caf::error> check_binding(server_actor self, const std::string& name,
                                        const caf::actor& who) {
  if (auto ok = check_name(name, self->state.cfg.limits); !ok)
    return make_error(ok.error());
  if (!who)
    return make_error(errc::invalid_argument, "no actor to register");
  return std::nullopt;
}

// The reply to a register or join goes first; then what waited for the name.
caf::result<caf::ok_atom> hand_over_parked(server_actor self, const std::string& name) {
  auto rp = self->make_response_promise<caf::ok_atom>();
  rp.deliver(caf::ok_atom::value);
  commit_client_changes(self);
  const auto at = now(self);
  for (auto& t : self->state.core.take_parked(name))
    deliver(self, std::move(t), at, delivery_kind::from_parked);
  stage_own_changes(self);
  return rp;
}

// After leave and unregister: actors that hold no name are not watched.
caf::result<caf::ok_atom> released(server_actor self,
                                   const outcome<std::vector<caf::actor>>& idle) {
  if (!idle)
    return make_error(idle.error());
  for (const auto& who : *idle)
    self->demonitor(who);
  return caf::ok_atom::value;
}

} // namespace

caf::result<caf::ok_atom> bind_name(server_actor self, const std::string& name,
                                    const caf::actor& who) {
  if (auto refused = check_binding(self, name, who))
    return *refused;
  auto bound = self->state.delivery.directory.bind(name, who);
  if (!bound)
    return make_error(bound.error());
  if (*bound)
    self->monitor(who);
  return hand_over_parked(self, name);
}

caf::result<caf::ok_atom> join_group(server_actor self, const std::string& name,
                                     const caf::actor& member, std::int64_t ack_ms) {
  if (auto refused = check_binding(self, name, member))
    return *refused;
  if (ack_ms < 0 || ack_ms > max_ack_ms)
    return make_error(errc::invalid_argument, "acknowledgement time must be 0 (none) to "
                                                + std::to_string(max_ack_ms) + " ms");
  auto joined = self->state.delivery.directory.join(name, member, millis{ack_ms});
  if (!joined)
    return make_error(joined.error());
  if (*joined)
    self->monitor(member);
  return hand_over_parked(self, name);
}

caf::result<caf::ok_atom> leave_group(server_actor self, const std::string& name,
                                      const caf::actor& member) {
  return released(self, self->state.delivery.directory.leave(name, member));
}

caf::result<caf::ok_atom> unbind_name(server_actor self, const std::string& name) {
  return released(self, self->state.delivery.directory.unbind(name));
}

void deliver(server_actor self, timeout&& t, system_clock::time_point at, delivery_kind kind) {
  auto& st = self->state;
  auto to = st.delivery.directory.next(t.name);
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
  st.core.record_delivery(duration_cast<microseconds>(at - t.fires_at()), kind);
  send_timeout(to->who, std::move(t));
}

status acknowledge_delivery(server_actor self, const std::string& tok,
                            std::int64_t deadline_ms) {
  auto& st = self->state;
  auto& awaiting = st.delivery.awaiting_ack;
  auto parsed = token::parse(tok);
  auto waiting = parsed ? awaiting.find(*parsed) : awaiting.end();
  const bool awaited = waiting != awaiting.end() && waiting->second.deadline_ms == deadline_ms;
  if (awaited)
    awaiting.erase(waiting);
  if (!awaited || !st.core.finish_delivery(*parsed, deadline_ms))
    return fail(errc::unknown_token, "no delivery of token '" + tok + "' due at "
                                       + std::to_string(deadline_ms)
                                       + " awaits an acknowledgement");
  return done{};
}

void redeliver(server_actor self, const std::string& tok, std::int64_t deadline_ms) {
  auto& st = self->state;
  auto parsed = token::parse(tok);
  auto waiting = parsed ? st.delivery.awaiting_ack.find(*parsed) : st.delivery.awaiting_ack.end();
  if (waiting == st.delivery.awaiting_ack.end() || waiting->second.deadline_ms != deadline_ms)
    return; // acknowledged, or superseded by a newer delivery
  auto t = st.core.parked(*parsed);
  auto to = t && to_epoch_ms(t->deadline) == deadline_ms
              ? st.delivery.directory.next(t->name, waiting->second.member)
              : std::nullopt;
  st.delivery.awaiting_ack.erase(waiting);
  // No member left (or the timeout was cancelled): it stays parked, if it is,
  // and goes out when the name registers or a member joins.
  if (!to || to->ack.count() == 0)
    return;
  ++st.delivery.redelivered;
  expect_ack(self, *t, *to);
  send_timeout(to->who, std::move(*t));
}

void forget_actor(server_actor self, const caf::actor_addr& who) {
  auto& st = self->state;
  for (const auto& name : st.delivery.directory.forget(who))
    log_info("an actor of '" + name + "' is down; its timeouts go to the rest or wait");
  // What it did not acknowledge goes to another member now, not when it is late.
  for (const auto& [tok, waiting] : st.delivery.awaiting_ack)
    if (waiting.member == who)
      self->send(self, redeliver_msg{tok.str(), waiting.deadline_ms});
}

std::optional<system_clock::time_point> next_late_ack(server_actor self) {
  std::optional<system_clock::time_point> first;
  for (const auto& [tok, waiting] : self->state.delivery.awaiting_ack)
    if (!first || waiting.late_at < *first)
      first = waiting.late_at;
  return first;
}

// Oldest first, as their deadlines would have passed.
void redeliver_late(server_actor self) {
  const auto at = now(self);
  std::vector<std::tuple<system_clock::time_point, token, std::int64_t>> late;
  for (const auto& [tok, waiting] : self->state.delivery.awaiting_ack)
    if (waiting.late_at <= at)
      late.emplace_back(waiting.late_at, tok, waiting.deadline_ms);
  std::sort(late.begin(), late.end());
  for (const auto& [when, tok, deadline_ms] : late)
    redeliver(self, tok.str(), deadline_ms);
}

} // namespace chronos::detail
