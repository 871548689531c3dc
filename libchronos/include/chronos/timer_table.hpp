#pragma once

// The timer table: every pending timeout, ordered by (deadline, token).
//
// Why this shape. chronos needs, in about equal measure: the soonest deadline
// (every request may re-arm the one wake-up), "pop everything due" in order,
// erase and reschedule by token (cancel is as common as fire: most timeouts
// guard an operation that succeeds), and the timeouts of one name in order
// (listing, and delivering a backlog when a name registers). A balanced tree
// keyed by (deadline, token) gives ordered pops and ordered iteration; a hash
// index by token gives O(1) lookup of the key to erase; a per-name set of keys
// gives the per-name view in order. Every operation is O(log n).
//
// Ties. Two timeouts with the same deadline are both kept (the Erlang original
// keyed its table by deadline and lost one) and fire in token order. Tokens
// start with their creation time, so equal deadlines fire oldest-first, and the
// order is the same in every run and after a restore.
//
// Cost. Three node-based containers: about 250 bytes per entry on top of the
// strings. That is the simple, obviously correct baseline; a compact layout
// can replace it behind this interface (see docs/design.md).
//
// No CAF, no I/O, no clock: "now" is always an argument.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chronos/timeout.hpp"

namespace chronos {

class timer_table {
public:
  /// Adds `t`; false (and no change) if its token is already present.
  bool insert(timeout t);

  /// Removes and returns the timeout with token `tok`, if any.
  std::optional<timeout> erase(token tok);

  const timeout* find(token tok) const;
  bool contains(token tok) const { return by_token_.count(tok) != 0; }

  /// Moves the timeout `tok` to `deadline`; false if there is no such token.
  bool reschedule(token tok, timestamp deadline);

  /// Removes every timeout with deadline <= now, returned in (deadline, token) order.
  std::vector<timeout> pop_due(timestamp now);

  /// Removes every timeout of `name`, returned in (deadline, token) order.
  std::vector<timeout> take(const std::string& name);

  std::optional<timestamp> next_deadline() const;

  /// Copies of all timeouts, or those of one name, in (deadline, token) order.
  std::vector<timeout> entries() const;
  std::vector<timeout> entries(const std::string& name) const;

  std::size_t size() const { return ordered_.size(); }
  bool empty() const { return ordered_.empty(); }

private:
  using key = std::pair<timestamp, token>;

  void index(const timeout& t);
  timeout unlink(std::map<key, timeout>::iterator it);

  std::map<key, timeout> ordered_;
  std::unordered_map<token, timestamp> by_token_;
  std::unordered_map<std::string, std::set<key>> by_name_;
};

} // namespace chronos
