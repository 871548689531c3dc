#pragma once

// Who receives each name's timeouts: one registered actor, or a group of
// actors that joined the name and take turns (round robin), optionally
// acknowledging each delivery within a set time. Tracks which names each
// actor holds, so that the actor can be forgotten everywhere when it goes
// down, and says when an actor starts or stops holding anything, so that the
// chronos actor monitors exactly the actors it needs to. Private to libchronos.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "chronos/base/outcome.hpp"

namespace chronos::detail {

class name_directory {
public:
  using millis = std::chrono::milliseconds;

  /// Where one delivery goes, and how long its acknowledgement may take
  /// (zero: none is expected).
  struct target {
    caf::actor who;
    millis ack{0};
  };

  /// Binds `name` to `who` alone. True when `who` held no name before (start
  /// monitoring it). Refused while another live actor or a group holds it.
  outcome<bool> bind(const std::string& name, const caf::actor& who);

  /// Adds `member` to the group `name` (made on the first join, with `ack`).
  /// True when `member` held no name before. Refused when one actor holds the
  /// name, or the group expects a different acknowledgement time.
  outcome<bool> join(const std::string& name, const caf::actor& member, millis ack);

  /// Takes `member` out of the group `name`. The actors that now hold nothing
  /// (stop monitoring them).
  outcome<std::vector<caf::actor>> leave(const std::string& name, const caf::actor& member);

  /// Unbinds `name`, group or not; the actors that now hold nothing.
  outcome<std::vector<caf::actor>> unbind(const std::string& name);

  /// Forgets `who` (it went down) in every name; the names it held.
  std::vector<std::string> forget(const caf::actor_addr& who);

  /// Where the next delivery for `name` goes: its actor, or the group's next
  /// member in turn, preferring one other than `not_to` when there is one.
  std::optional<target> next(const std::string& name, const caf::actor_addr& not_to = {});

  /// Bound names (a group counts once).
  std::size_t size() const { return bindings_.size(); }

  /// Distinct nodes whose actors hold names.
  std::size_t nodes() const;

  /// Calls `f(name)` for every bound name.
  template <class F>
  void for_each_name(F&& f) const {
    for (const auto& [name, b] : bindings_)
      f(name);
  }

private:
  struct binding {
    std::vector<caf::actor> members; // exactly one unless `group`
    bool group = false;
    millis ack{0};
    std::size_t turn = 0;
  };

  bool add_name(const caf::actor& who, const std::string& name);
  bool drop_name(const caf::actor_addr& who, const std::string& name);

  std::unordered_map<std::string, binding> bindings_;
  std::map<caf::actor_addr, std::set<std::string>> names_of_;
};

} // namespace chronos::detail
