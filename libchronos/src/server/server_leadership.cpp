// Leadership of a shared store. A server on a PostgreSQL store starts as a
// standby; the lease keeper takes the lease when it is free, and the server
// then loads every timeout from the store and serves, fast-forwarding over
// what came due meanwhile, as after a restart. It leads while its lease is
// valid by its own steady clock (lease_keeper.hpp says why that is safe) and
// steps down, back to an empty standby, when the lease is lost or lapses.

#include "server/server_actor.hpp"

#include "chronos/base/log.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

std::int64_t steady_ns(steady_clock::time_point t) {
  return duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

steady_clock::time_point from_steady_ns(std::int64_t ns) {
  return steady_clock::time_point{duration_cast<steady_clock::duration>(nanoseconds{ns})};
}

std::int64_t expires_ms_of(const lease_info& l) { return to_epoch_ms(l.expires_at); }

// The leader checks its lease's validity when it should end; a renewal
// meanwhile moves the end, and the check then waits for the new one.
void check_lease_at_end(server_actor self) {
  auto& lead = self->state.leadership;
  if (lead.check_pending)
    return;
  lead.check_pending = true;
  const auto left = lead.valid_until - steady_clock::now();
  self->delayed_send(self, std::max<steady_clock::duration>(left, nanoseconds{0}),
                     lease_check_msg{lead.epoch});
}

// Back to an empty standby: nothing delivered or written from here on.
void step_down(server_actor self, const std::string& why) {
  auto& st = self->state;
  auto& lead = st.leadership;
  const auto epoch = lead.epoch;
  lead.role = server_role::standby;
  static_cast<server_actor_impl*>(self)->stand_by("");
  log_warning("standing by after leading (epoch " + std::to_string(epoch) + "): " + why);
  close_journal(self, failure{errc::standby, "this chronosd no longer leads: " + why});
  st.core = server_state{token_generator{}, st.cfg.limits};
  st.delivery.awaiting_ack.clear();
  ++st.wakeup.generation; // the pending wake-up is stale
  st.wakeup.armed_for.reset();
  lead.keeper->step_down(epoch);
}

} // namespace

const char* to_string(server_role r) {
  switch (r) {
    case server_role::single:
      return "single";
    case server_role::leader:
      return "leader";
    case server_role::standby:
      return "standby";
  }
  return "?";
}

void start_leadership(server_actor self) {
  auto& lead = self->state.leadership;
  if (!lead.store)
    return;
  lead.role = server_role::standby;
  static_cast<server_actor_impl*>(self)->stand_by("");
  if (!lead.store->options().address.empty())
    on_advertise(self, lead.store->options().address);
}

void on_advertise(server_actor self, std::string address) {
  auto& lead = self->state.leadership;
  if (!lead.store || lead.keeper || address.empty())
    return; // not on a shared store, or told before
  lead.store->set_address(std::move(address));
  // The keeper's thread posts to the actor; a weak handle, as the actor owns it.
  const auto post = [addr = self->address()](auto msg) {
    if (auto hdl = caf::actor_cast<server_impl_api>(addr))
      caf::anon_send(hdl, std::move(msg));
  };
  lease_keeper::callbacks cb;
  cb.lead = [post](const lease_info& l, lease_keeper::steady_time until) {
    post(lead_msg{l.epoch, steady_ns(until), expires_ms_of(l)});
  };
  cb.renewed = [post](const lease_info& l, lease_keeper::steady_time until) {
    post(renewed_msg{l.epoch, steady_ns(until), expires_ms_of(l)});
  };
  cb.lost = [post](std::uint64_t epoch, std::string why) { post(lost_msg{epoch, std::move(why)}); };
  cb.standing_by = [post](lease_info l) {
    post(standing_by_msg{l.expires_at > floor_ms(system_clock::now()) ? l.address : "", l.epoch,
                         expires_ms_of(l)});
  };
  lead.keeper = std::make_unique<lease_keeper>(lead.store->another(), std::move(cb));
}

bool leading(server_actor self) {
  auto& lead = self->state.leadership;
  if (lead.role == server_role::single)
    return true;
  if (lead.role == server_role::standby)
    return false;
  if (steady_clock::now() < lead.valid_until)
    return true;
  step_down(self, "the lease was not renewed in time");
  return false;
}

void on_lead(server_actor self, const lead_msg& msg) {
  auto& st = self->state;
  auto& lead = st.leadership;
  if (lead.role != server_role::standby)
    return;
  const auto started = steady_clock::now();
  server_state loaded{token_generator{}, st.cfg.limits};
  auto read = lead.store->load(loaded);
  auto log = read ? lead.store->open_log(msg.epoch)
                  : outcome<std::shared_ptr<change_log>>{read.error()};
  if (!log) {
    log_error("took the lease (epoch " + std::to_string(msg.epoch)
              + ") but cannot load the store; giving it up: " + log.error().detail);
    lead.keeper->step_down(msg.epoch);
    return;
  }
  st.core = std::move(loaded);
  lead.role = server_role::leader;
  lead.epoch = msg.epoch;
  lead.valid_until = from_steady_ns(msg.valid_until_ns);
  lead.expires_ms = msg.expires_ms;
  lead.leader = lead.store->options().address;
  recovery restored;
  restored.log = std::move(*log);
  open_journal(self, std::move(restored));
  static_cast<server_actor_impl*>(self)->serve();
  const auto count = st.core.count({});
  log_info("leading (epoch " + std::to_string(msg.epoch) + "): loaded "
           + std::to_string(count.pending) + " pending and " + std::to_string(count.parked)
           + " parked timeouts in "
           + std::to_string(duration_cast<milliseconds>(steady_clock::now() - started).count())
           + " ms");
  check_lease_at_end(self);
  fire_due(self);
}

void on_renewed(server_actor self, const renewed_msg& msg) {
  auto& lead = self->state.leadership;
  if (lead.role != server_role::leader || msg.epoch != lead.epoch)
    return;
  lead.valid_until = std::max(lead.valid_until, from_steady_ns(msg.valid_until_ns));
  lead.expires_ms = msg.expires_ms;
}

void on_lost(server_actor self, const lost_msg& msg) {
  auto& lead = self->state.leadership;
  if (lead.role != server_role::leader || msg.epoch != lead.epoch)
    return;
  step_down(self, msg.why);
}

void on_standing_by(server_actor self, const standing_by_msg& msg) {
  auto& lead = self->state.leadership;
  if (lead.role != server_role::standby)
    return;
  lead.leader = msg.leader;
  lead.epoch = msg.epoch;
  lead.expires_ms = msg.expires_ms;
  static_cast<server_actor_impl*>(self)->stand_by(msg.leader);
}

void on_lease_check(server_actor self, std::uint64_t epoch) {
  auto& lead = self->state.leadership;
  lead.check_pending = false;
  if (lead.role != server_role::leader || epoch != lead.epoch)
    return;
  if (leading(self))
    check_lease_at_end(self);
}

caf::error standby_error(const std::string& leader) {
  return make_error(errc::standby,
                    leader.empty() ? std::string{"this chronosd stands by, and no leader is known yet"}
                                   : "this chronosd stands by; the leader is at " + leader);
}

void show_leadership(server_actor self, stats_info& s) {
  const auto& lead = self->state.leadership;
  s.role = to_string(lead.role);
  s.epoch = lead.epoch;
  s.lease_expires_ms = lead.expires_ms;
  s.leader = lead.leader;
}

} // namespace chronos::detail
