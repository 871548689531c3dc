#pragma once

// An actor system standing for a chronos client node: the chronos types
// registered and the middleman loaded, to reach a chronosd over 127.0.0.1.

#include <memory>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/messages.hpp"

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

} // namespace chronos::test
