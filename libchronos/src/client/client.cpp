#include "chronos/client/client.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <thread>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/base/log.hpp"
#include "chronos/net/transport.hpp"
#include "net/tcp_probe.hpp"

namespace chronos {

namespace {

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using steady_time = std::chrono::steady_clock::time_point;

// Requests that wait for a leader at most (a failover takes a lease's length).
constexpr std::size_t max_waiting = 100'000;

std::string where(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

caf::error unreachable(const std::string& host, std::uint16_t port, const std::string& why) {
  return make_error(errc::unavailable, "cannot reach chronosd at " + where(host, port) + ": " + why);
}

// The middleman connects only to a host that answers (tcp_probe.hpp says
// why). A loopback address answers or refuses at once: no probe.
bool needs_probe(const std::string& host) { return !is_loopback(host); }

caf::error probe_failure(const std::string& host, std::uint16_t port, const failure& f) {
  return unreachable(host, port, "nothing listens there, or the host cannot be reached ("
                                   + f.detail + ")");
}

// Probes on a thread of its own, so that the client's scheduler thread does
// not wait for a host that does not answer. (Spawned with arguments: CAF
// 0.17 binds a reference through a null pointer for a function actor
// spawned without any, which UBSan reports.)
caf::behavior prober(caf::event_based_actor* self, server_address target,
                     std::chrono::milliseconds limit) {
  return {[=](probe_atom) -> caf::result<bool> {
    self->quit();
    if (auto ok = detail::probe_tcp(target.host, target.port, limit); !ok)
      return make_error(ok.error());
    return true;
  }};
}

// Why the middleman's connect failed, in words a person can act on. Over TLS
// a refused handshake comes back as either error, depending on which side
// gives up first (a client that does not trust chronosd's certificate, say).
caf::error connect_failure(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           const caf::error& e) {
  const std::string handshake = "the handshake failed (one side without TLS, or a certificate "
                                "the other side's CA did not sign)";
  if (e == caf::sec::request_timeout)
    return unreachable(host, port, "timed out");
  if (e == caf::sec::disconnect_during_handshake)
    return unreachable(host, port, handshake);
  if (e == caf::sec::cannot_connect_to_node)
    return unreachable(host, port,
                       "nothing listens there, or the host cannot be reached"
                         + (sys.has_openssl_manager() ? ", or " + handshake : std::string{}));
  return unreachable(host, port, describe(e));
}

// Checks what the middleman's connect answered: a chronos actor, or why not.
// The connection to it gets the peer timeout; if it cannot, the connection
// still serves, with TCP's own limits, and the log says so.
caf::expected<chronos_api> as_chronos(caf::actor_system& sys, caf::strong_actor_ptr ptr,
                                      const std::set<std::string>& ifs,
                                      const std::string& host, std::uint16_t port,
                                      std::chrono::milliseconds peer_timeout) {
  if (!ptr)
    return unreachable(host, port, "nothing is published on that port");
  if (ifs != sys.message_types<chronos_api>())
    return unreachable(host, port, "the peer is not a chronosd of this protocol version");
  if (peer_timeout.count() != 0)
    if (auto set = set_peer_timeout_to(port, peer_timeout); !set)
      log_warning("chronos client: no peer timeout on the connection to " + where(host, port)
                  + ": " + set.error().detail);
  return caf::actor_cast<chronos_api>(std::move(ptr));
}

// -- the client actor ---------------------------------------------------------------

/// A name held through this client: registered by one actor, or (with `ack`)
/// joined as a member of a group.
struct binding {
  std::string name;
  caf::actor who;
  std::optional<std::int64_t> ack;
};

/// A request waiting for a leader: sent again once one is connected, or
/// failed when its time is up.
struct waiting_request {
  steady_time until;
  std::function<void()> resend;
  std::function<void(caf::error)> fail;
};

/// Single requests of one kind waiting to go out together, with whom to answer.
template <class Item, class Reply>
struct queued {
  std::vector<Item> items;
  std::vector<caf::typed_response_promise<Reply>> replies;
};

struct client_state {
  client_config cfg;
  /// Where chronosd may be: `cfg.servers`, or `cfg.host` and `cfg.port`.
  std::vector<server_address> servers;
  /// The one tried next, unless a standby named the leader.
  std::size_t next = 0;
  std::optional<server_address> leader_hint;
  /// Tried since the last connection, to back off after a round of failures.
  std::size_t attempts = 0;
  /// The one connected to, or being tried.
  server_address target;
  std::deque<waiting_request> waiting;
  bool expiry_scheduled = false;
  /// Requests sent and not answered yet, by number: when the connection is
  /// lost they fail at once (CAF would let them run to their timeout).
  std::unordered_map<std::uint64_t, std::function<void(caf::error)>> in_flight;
  std::uint64_t last_request = 0;
  /// At most one of the two holds requests: one of the other kind, or any
  /// other request, sends them first, so chronosd sees the client's order.
  queued<schedule_request, std::string> schedules;
  queued<std::string, caf::ok_atom> cancels;
  /// A flush message is on its way to the mailbox's end.
  bool flush_sent = false;
  client_stats stats;
  std::optional<chronos_api> server;
  /// Names this client keeps registered or joined, for binding them again
  /// after a reconnect.
  std::vector<binding> bindings;
  std::chrono::milliseconds backoff{0};
  /// Why there is no connection, once an attempt failed or one was lost:
  /// what requests get back meanwhile.
  std::string why_not_connected;

  static inline const char* name = "chronos-client";
};

using client_actor = caf::stateful_actor<client_state>*;

// Numbers a request about to be sent; `fail` answers it if the connection
// is lost first. The reply's handler calls `answered`, which is false when
// that already happened.
std::uint64_t track(client_actor self, std::function<void(caf::error)> fail) {
  auto& st = self->state;
  const auto id = ++st.last_request;
  st.in_flight.emplace(id, std::move(fail));
  return id;
}

bool answered(client_actor self, std::uint64_t id) { return self->state.in_flight.erase(id) > 0; }

// Sends the register or join of `b` to chronosd.
template <class OnOk, class OnError>
void send_binding(client_actor self, const binding& b, OnOk on_ok, OnError on_error) {
  auto& st = self->state;
  if (b.ack)
    self->request(*st.server, st.cfg.request_timeout, join_atom::value, b.name, b.who, *b.ack)
      .then(std::move(on_ok), std::move(on_error));
  else
    self->request(*st.server, st.cfg.request_timeout, register_atom::value, b.name, b.who)
      .then(std::move(on_ok), std::move(on_error));
}

void bind_all(client_actor self) {
  for (const auto& b : self->state.bindings)
    send_binding(self, b, [](caf::ok_atom) {}, [name = b.name](caf::error& e) {
      log_warning("chronos client: cannot register '" + name + "': " + describe(e));
    });
}

// Remembers `b` and sends it, if connected; a refusal forgets it again.
caf::result<caf::ok_atom> bind(client_actor self, binding b) {
  auto& st = self->state;
  if (!b.who)
    return make_error(errc::invalid_argument, "no actor to register");
  // By value: a refusal is handled after this function has returned.
  const auto same = [name = b.name, who = b.who](const binding& x) {
    return x.name == name && x.who == who;
  };
  if (std::none_of(st.bindings.begin(), st.bindings.end(), same)) {
    st.bindings.push_back(b);
    self->monitor(b.who);
  }
  if (!st.server)
    return caf::ok_atom::value; // takes effect on connect
  auto rp = self->make_response_promise<caf::ok_atom>();
  // A connection lost before the answer: the binding is remembered and sent
  // again on reconnect, as one made while disconnected.
  const auto id = track(self, [rp](caf::error) mutable { rp.deliver(caf::ok_atom::value); });
  send_binding(self, b,
               [=](caf::ok_atom ok) mutable {
                 if (answered(self, id))
                   rp.deliver(ok);
               },
               [=](caf::error& e) mutable {
                 if (!answered(self, id))
                   return;
                 if (code_of(e) == errc::name_in_use || code_of(e) == errc::invalid_argument) {
                   auto& all = self->state.bindings;
                   all.erase(std::remove_if(all.begin(), all.end(), same), all.end());
                 }
                 rp.deliver(std::move(e));
               });
  return rp;
}

// Forgets the bindings `drop` picks.
template <class Pred>
void forget(client_actor self, Pred drop) {
  auto& all = self->state.bindings;
  all.erase(std::remove_if(all.begin(), all.end(), drop), all.end());
}

bool failover(const client_state& st) { return st.servers.size() > 1; }

// The next attempt: at once while a round through the servers is not over
// (or a standby named the leader), else after a backoff.
void retry_later(client_actor self) {
  auto& st = self->state;
  if (failover(st) && (st.leader_hint || st.attempts < st.servers.size())) {
    self->send(self, reconnect_atom::value);
    return;
  }
  st.attempts = 0;
  st.backoff = std::min(st.cfg.retry_max, std::max(st.cfg.retry_min, st.backoff * 2));
  self->delayed_send(self, st.backoff, reconnect_atom::value);
}

// A connection that may serve: sends what waited, and binds the names.
void connected(client_actor self, chronos_api srv) {
  auto& st = self->state;
  st.server = srv;
  st.backoff = std::chrono::milliseconds{0};
  st.attempts = 0;
  st.why_not_connected.clear();
  self->monitor(srv);
  log_info("chronos client: connected to " + to_string(st.target));
  bind_all(self);
  for (auto& w : std::exchange(st.waiting, {}))
    w.resend();
}

// With several servers, only a leader (or a chronosd of its own) will do; a
// standby's answer names the leader, tried next.
void check_role(client_actor self, chronos_api srv) {
  auto& st = self->state;
  if (!failover(st)) {
    connected(self, srv);
    return;
  }
  self->request(srv, st.cfg.connect_timeout, stats_atom::value)
    .then(
      [=](const stats_info& s) {
        auto& st = self->state;
        if (s.role != "standby") {
          connected(self, srv);
          return;
        }
        st.why_not_connected = "chronosd at " + to_string(st.target) + " stands by"
                               + (s.leader.empty() ? "" : "; the leader is at " + s.leader);
        if (auto named = parse_servers(s.leader); named && named->size() == 1
                                                   && !(named->front() == st.target))
          st.leader_hint = named->front();
        retry_later(self);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.why_not_connected = "chronosd at " + to_string(st.target) + ": " + describe(e);
        retry_later(self);
      });
}

void connect_to_target(client_actor self);

void try_connect(client_actor self) {
  auto& st = self->state;
  if (st.server)
    return;
  if (st.leader_hint) {
    st.target = *std::exchange(st.leader_hint, std::nullopt);
  } else {
    st.target = st.servers[st.next];
    st.next = (st.next + 1) % st.servers.size();
  }
  ++st.attempts;
  if (!needs_probe(st.target.host)) {
    connect_to_target(self);
    return;
  }
  auto probe = self->spawn<caf::detached>(prober, st.target, st.cfg.connect_timeout);
  self->request(probe, st.cfg.connect_timeout * 2, probe_atom::value)
    .then([=](bool) { connect_to_target(self); },
          [=](caf::error& e) {
            auto& st = self->state;
            st.why_not_connected = describe(
              code_of(e) ? probe_failure(st.target.host, st.target.port,
                                         failure{errc::unavailable, describe(e)})
                         : unreachable(st.target.host, st.target.port, describe(e)));
            retry_later(self);
          });
}

// The target answered a probe: the middleman connects.
void connect_to_target(client_actor self) {
  auto& st = self->state;
  self->request(transport(self->system()), st.cfg.connect_timeout, caf::connect_atom::value,
                st.target.host, st.target.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        auto& st = self->state;
        auto srv = as_chronos(self->system(), std::move(ptr), ifs, st.target.host,
                              st.target.port, st.cfg.peer_timeout);
        if (!srv) {
          st.why_not_connected = describe(srv.error());
          log_warning(st.why_not_connected);
          retry_later(self);
          return;
        }
        check_role(self, *srv);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.why_not_connected =
          describe(connect_failure(self->system(), st.target.host, st.target.port, e));
        retry_later(self);
      });
}

// The connection is gone (or its chronosd stopped leading): what was sent and
// not answered fails now, and the client looks for the leader.
void lose_server(client_actor self, const std::string& why) {
  auto& st = self->state;
  if (!st.server)
    return;
  log_warning("chronos client: " + why + "; reconnecting");
  st.why_not_connected = why + "; reconnecting";
  self->demonitor(st.server->address());
  st.server.reset();
  st.attempts = 0;
  for (auto& [id, fail] : std::exchange(st.in_flight, {}))
    fail(make_error(errc::unavailable, why + " before it answered; the request may or may "
                                             "not have taken effect"));
  retry_later(self);
}

void on_down(client_actor self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.server && msg.source == st.server->address()) {
    lose_server(self, "lost chronosd at " + to_string(st.target));
    return;
  }
  // One of our registered actors is gone: stop registering it after reconnects.
  forget(self, [&](const binding& b) { return b.who.address() == msg.source; });
}

caf::error not_connected(client_actor self) {
  const auto& st = self->state;
  return make_error(errc::unavailable,
                    st.why_not_connected.empty()
                      ? "not connected to chronosd at " + to_string(st.target)
                      : st.why_not_connected);
}

// Fails the waiting requests whose time is up; looks again while any wait.
void expire_waiting(client_actor self) {
  auto& st = self->state;
  st.expiry_scheduled = false;
  const auto now = std::chrono::steady_clock::now();
  std::deque<waiting_request> kept;
  for (auto& w : std::exchange(st.waiting, {})) {
    if (w.until <= now)
      w.fail(not_connected(self));
    else
      kept.push_back(std::move(w));
  }
  st.waiting = std::move(kept);
  if (!st.waiting.empty()) {
    st.expiry_scheduled = true;
    self->delayed_send(self, std::chrono::milliseconds{100}, expire_atom::value);
  }
}

void wait_for_leader(client_actor self, waiting_request w) {
  auto& st = self->state;
  if (st.waiting.size() >= max_waiting) {
    w.fail(make_error(errc::overloaded, std::to_string(max_waiting)
                                          + " requests wait for a leader already"));
    return;
  }
  st.waiting.push_back(std::move(w));
  if (!st.expiry_scheduled) {
    st.expiry_scheduled = true;
    self->delayed_send(self, std::chrono::milliseconds{100}, expire_atom::value);
  }
}

// Whether a request may go again after its connection was lost before the
// answer: a schedule with a key is made once however often it is sent.
template <class... Ts>
bool idempotent(const Ts&...) {
  return false;
}

bool idempotent(const schedule_atom&, const schedule_request& req) { return !req.key.empty(); }

// Sends one request to chronosd; its reply (or error) answers `rp`. With
// several servers, a request finds no leader waits for one until `until`,
// and one a standby refused goes again to the next leader.
template <class Reply, class... Ts>
void relay_until(client_actor self, caf::typed_response_promise<Reply> rp, steady_time until,
                 Ts... xs) {
  auto& st = self->state;
  if (!st.server) {
    if (!failover(st)) {
      rp.deliver(not_connected(self));
      return;
    }
    wait_for_leader(self, {until, [=]() mutable { relay_until(self, rp, until, xs...); },
                           [rp](caf::error e) mutable { rp.deliver(std::move(e)); }});
    return;
  }
  const auto srv = *st.server;
  // Lost before the answer: a keyed schedule goes again to the next leader.
  const bool again = failover(st) && idempotent(xs...);
  const auto id = track(self, [=](caf::error e) mutable {
    if (again && std::chrono::steady_clock::now() < until)
      relay_until(self, rp, until, xs...);
    else
      rp.deliver(std::move(e));
  });
  self->request(srv, st.cfg.request_timeout, xs...)
    .then([=](Reply& r) mutable {
            if (answered(self, id))
              rp.deliver(std::move(r));
          },
          [=](caf::error& e) mutable {
            if (!answered(self, id))
              return;
            auto& st = self->state;
            if (code_of(e) == errc::standby && failover(st)
                && std::chrono::steady_clock::now() < until) {
              if (st.server && *st.server == srv)
                lose_server(self, describe(e));
              relay_until(self, rp, until, xs...);
              return;
            }
            rp.deliver(std::move(e));
          });
}

template <class Reply, class... Ts>
void relay(client_actor self, caf::typed_response_promise<Reply> rp, Ts... xs) {
  relay_until(self, rp, std::chrono::steady_clock::now() + self->state.cfg.request_timeout,
              std::move(xs)...);
}

// -- coalescing single schedules and cancels ------------------------------------

// Refusals of a batch that may be one request's fault: each request then goes
// again alone, so that it fails (or not) by itself, as it would have unbatched.
bool one_requests_fault(const caf::error& e) {
  const auto code = code_of(e);
  return code == errc::invalid_argument || code == errc::unknown_token
         || code == errc::limit_exceeded;
}

void answer(const token_list& tokens,
            std::vector<caf::typed_response_promise<std::string>>& replies) {
  if (tokens.size() != replies.size()) {
    for (auto& rp : replies)
      rp.deliver(make_error(errc::unavailable, "chronosd answered a batch with "
                                                 + std::to_string(tokens.size()) + " tokens for "
                                                 + std::to_string(replies.size()) + " requests"));
    return;
  }
  for (std::size_t i = 0; i < tokens.size(); ++i)
    replies[i].deliver(std::string{tokens[i]});
}

void answer(caf::ok_atom ok, std::vector<caf::typed_response_promise<caf::ok_atom>>& replies) {
  for (auto& rp : replies)
    rp.deliver(ok);
}

// Sends what `q` holds as one batch request (a lone request as itself).
template <class BatchReply, class Atom, class Item, class Reply>
void send_queued(client_actor self, Atom atm, queued<Item, Reply>& q) {
  auto taken = std::make_shared<queued<Item, Reply>>(std::exchange(q, {}));
  auto& st = self->state;
  if (taken->items.size() == 1) {
    ++st.stats.forwarded;
    relay(self, taken->replies.front(), atm, std::move(taken->items.front()));
    return;
  }
  if (taken->items.empty())
    return;
  if (!st.server) { // each waits for a leader, or fails, by itself
    for (std::size_t i = 0; i < taken->items.size(); ++i)
      relay(self, taken->replies[i], atm, std::move(taken->items[i]));
    return;
  }
  ++st.stats.batches;
  st.stats.coalesced += taken->items.size();
  const auto id = track(self, [self, atm, taken](caf::error e) {
    for (std::size_t i = 0; i < taken->items.size(); ++i) {
      if (failover(self->state) && idempotent(atm, taken->items[i]))
        relay(self, taken->replies[i], atm, std::move(taken->items[i]));
      else
        taken->replies[i].deliver(e);
    }
  });
  self->request(*st.server, st.cfg.request_timeout, atm, taken->items)
    .then([self, id, taken](BatchReply& r) {
            if (answered(self, id))
              answer(r, taken->replies);
          },
          [self, id, atm, taken](caf::error& e) {
            if (!answered(self, id))
              return;
            if (code_of(e) == errc::standby && failover(self->state)) {
              lose_server(self, describe(e)); // then each goes again to the next leader
              for (std::size_t i = 0; i < taken->items.size(); ++i)
                relay(self, taken->replies[i], atm, std::move(taken->items[i]));
              return;
            }
            if (!one_requests_fault(e)) {
              for (auto& rp : taken->replies)
                rp.deliver(e);
              return;
            }
            self->state.stats.resent_alone += taken->items.size();
            for (std::size_t i = 0; i < taken->items.size(); ++i)
              relay(self, taken->replies[i], atm, std::move(taken->items[i]));
          });
}

void send_all_queued(client_actor self) {
  auto& st = self->state;
  send_queued<token_list>(self, schedule_atom::value, st.schedules);
  send_queued<caf::ok_atom>(self, cancel_atom::value, st.cancels);
}

// Queues a single request in `q` (sending the other kind's first); a flush
// message sends them once the mailbox holds nothing that arrived before it.
template <class Atom, class Item, class Reply, class Other>
caf::result<Reply> coalesce(client_actor self, Atom atm, queued<Item, Reply>& q, Other& other,
                            Item item) {
  auto& st = self->state;
  if (!st.server && !failover(st))
    return not_connected(self);
  auto rp = self->make_response_promise<Reply>();
  if (st.cfg.max_coalesced <= 1 || !st.server) {
    ++st.stats.forwarded;
    relay(self, rp, atm, std::move(item));
    return rp;
  }
  if (!other.items.empty())
    send_all_queued(self);
  q.items.push_back(std::move(item));
  q.replies.push_back(rp);
  if (q.items.size() >= st.cfg.max_coalesced)
    send_all_queued(self);
  else if (!st.flush_sent) {
    st.flush_sent = true;
    self->send(self, flush_atom::value);
  }
  return rp;
}

template <class Reply, class... Ts>
caf::result<Reply> forward(client_actor self, Ts... xs) {
  auto& st = self->state;
  send_all_queued(self);
  if (!st.server && !failover(st))
    return not_connected(self);
  ++st.stats.forwarded;
  auto rp = self->make_response_promise<Reply>();
  relay(self, rp, std::move(xs)...);
  return rp;
}

caf::behavior client_behavior(client_actor self, client_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.servers = st.cfg.servers.empty()
                 ? std::vector<server_address>{{st.cfg.host, st.cfg.port}}
                 : st.cfg.servers;
  st.target = st.servers.front();
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  try_connect(self);
  return {
    [=](reconnect_atom) { try_connect(self); },
    [=](expire_atom) { expire_waiting(self); },
    [=](status_atom) { return self->state.server.has_value(); },
    [=](register_atom, const std::string& name, const caf::actor& who) {
      send_all_queued(self);
      return bind(self, binding{name, who, std::nullopt});
    },
    [=](join_atom, const std::string& name, const caf::actor& who, std::int64_t ack_ms) {
      send_all_queued(self);
      return bind(self, binding{name, who, ack_ms});
    },
    [=](unregister_atom atm, const std::string& name) {
      forget(self, [&](const binding& b) { return b.name == name; });
      return forward<caf::ok_atom>(self, atm, name);
    },
    [=](leave_atom atm, const std::string& name, const caf::actor& who) {
      forget(self, [&](const binding& b) { return b.name == name && b.who == who; });
      return forward<caf::ok_atom>(self, atm, name, who);
    },
    [=](ack_atom atm, const std::string& tok, std::int64_t deadline_ms) {
      return forward<caf::ok_atom>(self, atm, tok, deadline_ms);
    },
    [=](flush_atom) {
      self->state.flush_sent = false;
      send_all_queued(self);
    },
    [=](client_stats_atom) { return self->state.stats; },
    [=](schedule_atom atm, schedule_request& req) {
      auto& st = self->state;
      return coalesce(self, atm, st.schedules, st.cancels, std::move(req));
    },
    [=](schedule_atom atm, const std::vector<schedule_request>& reqs) {
      return forward<token_list>(self, atm, reqs);
    },
    [=](cancel_atom atm, std::string& tok) {
      auto& st = self->state;
      return coalesce(self, atm, st.cancels, st.schedules, std::move(tok));
    },
    [=](cancel_atom atm, const std::vector<std::string>& toks) {
      return forward<caf::ok_atom>(self, atm, toks);
    },
    [=](cancel_atom atm, const token_list& toks) { return forward<caf::ok_atom>(self, atm, toks); },
    [=](cancel_atom atm, const name_selector& sel) {
      return forward<std::uint64_t>(self, atm, sel);
    },
    [=](reschedule_atom atm, const std::string& tok, when_spec when) {
      return forward<caf::ok_atom>(self, atm, tok, when);
    },
    [=](list_atom atm) { return forward<timeout_list>(self, atm); },
    [=](list_atom atm, const std::string& name) { return forward<timeout_list>(self, atm, name); },
    [=](count_atom atm, const name_selector& sel) { return forward<timeout_count>(self, atm, sel); },
    [=](stats_atom atm) { return forward<stats_info>(self, atm); },
    [=](stats_atom atm, const name_selector& sel) {
      return forward<std::vector<namespace_info>>(self, atm, sel);
    },
    [=](clock_atom atm) { return forward<clock_info>(self, atm); },
    [=](clock_atom atm, advance_atom how, std::int64_t ms) {
      return forward<clock_info>(self, atm, how, ms);
    },
    [=](clock_atom atm, set_atom how, std::int64_t epoch_ms) {
      return forward<clock_info>(self, atm, how, epoch_ms);
    },
    [=](clock_atom atm, auto_skip_atom how, bool on) {
      return forward<clock_info>(self, atm, how, on);
    },
  };
}

} // namespace

std::string to_string(const server_address& a) { return where(a.host, a.port); }

outcome<std::vector<server_address>> parse_servers(std::string_view text) {
  std::vector<server_address> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto colon = entry.rfind(':');
    unsigned port = 0;
    const char* end = entry.data() + entry.size();
    if (colon == std::string_view::npos || colon == 0
        || std::from_chars(entry.data() + colon + 1, end, port).ptr != end || port == 0
        || port > 65535 || colon + 1 == entry.size())
      return fail(errc::invalid_argument,
                  "expected HOST:PORT, not '" + std::string{entry} + "'");
    out.push_back({std::string{entry.substr(0, colon)}, static_cast<std::uint16_t>(port)});
  }
  if (out.empty())
    return fail(errc::invalid_argument, "no server given");
  return out;
}

caf::expected<chronos_api> connect_leader(caf::actor_system& sys,
                                          const std::vector<server_address>& servers,
                                          std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds peer_timeout) {
  using std::chrono::steady_clock;
  const auto give_up = steady_clock::now() + timeout;
  const auto left = [&] {
    return std::max(std::chrono::milliseconds{1},
                    std::chrono::duration_cast<std::chrono::milliseconds>(give_up
                                                                          - steady_clock::now()));
  };
  std::vector<std::string> why(servers.size());
  caf::scoped_actor self{sys};
  // Rounds through the list until one serves: a failover takes a moment.
  while (steady_clock::now() < give_up) {
    std::optional<server_address> hint;
    for (std::size_t i = 0; i < servers.size() && steady_clock::now() < give_up; ++i) {
      const auto target = hint ? *std::exchange(hint, std::nullopt) : servers[i];
      auto srv = connect(sys, target.host, target.port, left(), peer_timeout);
      const auto index = static_cast<std::size_t>(
        std::find(servers.begin(), servers.end(), target) - servers.begin());
      auto& said = index < why.size() ? why[index] : why[i];
      if (!srv) {
        said = describe(srv.error());
        continue;
      }
      std::optional<stats_info> st;
      self->request(*srv, left(), stats_atom::value)
        .receive([&](stats_info& s) { st = std::move(s); },
                 [&](caf::error& e) { said = to_string(target) + ": " + describe(e); });
      if (st && st->role != "standby")
        return *srv;
      if (!st)
        continue;
      said = to_string(target) + " stands by";
      if (auto named = parse_servers(st->leader); named && named->size() == 1
                                                  && !(named->front() == target)) {
        hint = named->front();
        --i; // the leader first, then on with the list
      }
    }
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds{200}, left()));
  }
  std::string all;
  for (const auto& w : why)
    all += (all.empty() ? "" : "; ") + (w.empty() ? std::string{"not tried"} : w);
  return make_error(errc::unavailable, "no chronosd serves among the servers given: " + all);
}

caf::expected<chronos_api> connect(caf::actor_system& sys, const std::string& host,
                                   std::uint16_t port, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds peer_timeout) {
  if (needs_probe(host))
    if (auto ok = detail::probe_tcp(host, port, timeout); !ok)
      return probe_failure(host, port, ok.error());
  caf::expected<chronos_api> result = unreachable(host, port, "no answer");
  caf::scoped_actor self{sys};
  self->request(transport(sys), timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        result = as_chronos(sys, std::move(ptr), ifs, host, port, peer_timeout);
      },
      [&](caf::error& e) {
        result = connect_failure(sys, host, port, e);
      });
  return result;
}

caf::actor spawn_client(caf::actor_system& sys, client_config cfg) {
  return sys.spawn(client_behavior, std::move(cfg));
}

} // namespace chronos
