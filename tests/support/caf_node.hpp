#pragma once

// An actor system standing for a chronos client node: the chronos types
// registered and the middleman loaded, to reach a chronosd over 127.0.0.1;
// and whether a reconnecting client in it is connected.

#include <memory>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/client/client.hpp"
#include "chronos/server/messages.hpp"

namespace chronos::test {

struct caf_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  /// `workers` 0: CAF's default scheduler size.
  explicit caf_node(std::size_t workers = 0) {
    register_types(cfg);
    cfg.load<caf::io::middleman>();
    if (workers > 0)
      cfg.set("scheduler.max-threads", workers);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

/// True once the reconnecting client `client` (spawn_client) is connected.
inline bool client_connected(caf::actor_system& sys, const caf::actor& client) {
  caf::scoped_actor self{sys};
  bool up = false;
  self->request(client, std::chrono::seconds{5}, status_atom::value)
    .receive([&](bool b) { up = b; }, [](caf::error&) {});
  return up;
}

} // namespace chronos::test
