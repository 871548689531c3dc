// The chronos actor's mailbox door: what a peer may not put into it.
//
// CAF acts on some messages itself, before any handler of chronos sees them:
// an exit message ends the actor (`kill` without saving anything), an error
// message ends it too unless handled, a down message makes chronos forget an
// actor's names, and a message marked as stream traffic is read as one of
// CAF's stream types, whatever it holds. Every one of them can be sent by any
// peer that reached the published actor, to it or to any actor whose handle
// crossed the network. chronos takes them only from this process.
//
// A standby (server_leadership.cpp) answers requests here, at once and on the
// sender's thread: everything but stats gets the error `standby`, naming the
// leader when it is known, so a client moves on without waiting for the
// actor's turn.

#include "server/server_actor.hpp"

#include <caf/detail/dynamic_message_data.hpp>

#include "chronos/base/log.hpp"

namespace chronos::detail {

namespace {

// CAF keeps the values of a message it deserialized in a dynamic_message_data;
// one made in this process (send, make_message) keeps them in a tuple_vals or
// in the mailbox element itself. A peer cannot choose the representation.
bool from_peer(const caf::mailbox_element& x) {
  return dynamic_cast<const caf::detail::dynamic_message_data*>(&x.content()) != nullptr;
}

bool reserved_for_caf(const caf::mailbox_element& x) {
  if (x.mid.is_stream_message())
    return true;
  const auto type = x.content().type_token();
  return type == caf::make_type_token<caf::exit_msg>()
         || type == caf::make_type_token<caf::down_msg>()
         || type == caf::make_type_token<caf::error>()
         || type == caf::make_type_token<caf::timeout_msg>()
         || type == caf::make_type_token<caf::open_stream_msg>()
         || type == caf::make_type_token<caf::upstream_msg>()
         || type == caf::make_type_token<caf::downstream_msg>();
}

log_throttle refused_log;

// `stats_atom` alone: what a standby answers. (CAF 0.17 matches an atom by
// its type only, so the value is compared too.)
bool plain_stats(const caf::mailbox_element& x) {
  const auto& content = x.content();
  return content.size() == 1 && content.match_element<caf::atom_value>(0)
         && content.get_as<caf::atom_value>(0) == stats_atom::value;
}

} // namespace

void respond_from_any_thread(const caf::strong_actor_ptr& server,
                             const caf::strong_actor_ptr& source, caf::message_id request,
                             caf::mailbox_element::forwarding_stack stages, caf::message msg) {
  if (!stages.empty()) {
    // The next stage takes the request on, under its own id.
    auto next = std::move(stages.back());
    stages.pop_back();
    next->enqueue(caf::make_mailbox_element(source, request, std::move(stages), std::move(msg)),
                  nullptr);
  } else if (source) {
    source->enqueue(server, request.response_id(), std::move(msg), nullptr);
  }
}

void server_actor_impl::stand_by(std::string leader) {
  {
    std::lock_guard<std::mutex> guard{leader_mtx_};
    leader_ = std::move(leader);
  }
  standing_by_.store(true, std::memory_order_release);
}

void server_actor_impl::serve() { standing_by_.store(false, std::memory_order_release); }

bool server_actor_impl::refuse_standing_by(caf::mailbox_element& x) {
  if (!standing_by_.load(std::memory_order_acquire) || !x.mid.is_request()
      || x.sender == ctrl() || plain_stats(x))
    return false;
  std::string leader;
  {
    std::lock_guard<std::mutex> guard{leader_mtx_};
    leader = leader_;
  }
  respond_from_any_thread(ctrl(), x.sender, x.mid, x.stages,
                          caf::make_message(standby_error(leader)));
  return true;
}

void server_actor_impl::enqueue(caf::mailbox_element_ptr x, caf::execution_unit* eu) {
  if (!x)
    return;
  if (from_peer(*x) && reserved_for_caf(*x)) {
    refused_log.log(log_level::warning, [&] {
      return "refused a message only this process may send, from a peer ("
             + caf::to_string(x->sender) + "): " + x->content().stringify().substr(0, 200);
    });
    return;
  }
  // A request from outside (the server's own messages come from itself or
  // from no one): auto-skip waits until they stop.
  if (x->sender && x->sender != ctrl()) {
    const auto steady = std::chrono::steady_clock::now().time_since_epoch();
    last_request_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(steady).count(),
      std::memory_order_relaxed);
  }
  if (refuse_standing_by(*x))
    return;
  super::enqueue(std::move(x), eu);
}

} // namespace chronos::detail
