#pragma once

// chronosd's Prometheus metrics: served over HTTP at /metrics on an opt-in
// address (`chronosd --metrics 127.0.0.1:9464`). Each scrape asks the chronos
// actor for its stats and its per-namespace gauges (with a short timeout, so a
// stuck actor shows as chronos_up 0 rather than a hung scrape); nothing is
// counted twice, and nothing runs between scrapes.

#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "chronos/base/outcome.hpp"
#include "chronos/server/messages.hpp"

namespace chronos {

class metrics_endpoint {
public:
  /// Listens on `address` ("HOST:PORT", port 0 for any free one).
  static outcome<std::unique_ptr<metrics_endpoint>> start(caf::actor_system& sys,
                                                          chronos_api server,
                                                          const std::string& address);
  virtual ~metrics_endpoint() = default;

  /// The port it listens on (the one the system chose, for port 0).
  virtual int port() const = 0;
};

} // namespace chronos
