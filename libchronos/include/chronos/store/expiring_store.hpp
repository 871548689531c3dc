#pragma once

// Key/value data with a time to live: session keys, password-reset links,
// half-filled forms. Each key expires at its own instant; expired keys leave
// in expiry order (`expire`), found through the timer table's heap, never by a
// sweep over the store, and a key that is past its expiry is never served,
// even before `expire` has run.
//
// Entries are timeouts (deadline = expiry, name = key, payload = value), so
// the store reuses the timer table, and, when opened on a file, the state
// file, the journal and the recovery of the chronos server (persistence.hpp):
// every change is journaled and fsynced before the call returns, a crash loses
// nothing that returned, and a restart drops what expired meanwhile. The
// journal is folded into a fresh snapshot when it holds twice as many records
// as the store has keys (at least 1,024).
//
// Time is always an argument, as in the rest of the pure parts. Not
// thread-safe: one owner (an actor, see apps/examples/sessions.cpp).

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/store/replayable.hpp"
#include "chronos/table/change.hpp"
#include "chronos/table/token.hpp"

namespace chronos {

class change_log;
class timer_table;

struct store_entry {
  std::string key;
  std::string value;
  timestamp expires;

  friend bool operator==(const store_entry& a, const store_entry& b) {
    return a.key == b.key && a.value == b.value && a.expires == b.expires;
  }
};

struct store_limits {
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1024 * 1024;
};

class expiring_store final : public replayable {
public:
  /// A store in memory only.
  explicit expiring_store(token_generator tokens = token_generator{},
                          store_limits limits = store_limits{});
  expiring_store(expiring_store&&) noexcept;
  expiring_store& operator=(expiring_store&&) noexcept;
  ~expiring_store();

  /// The store kept in `path` (created if missing): what it held, less what
  /// expired by `now`. Errors name the file; a damaged file is left untouched.
  static outcome<expiring_store> open(const std::string& path, timestamp now,
                                      store_limits limits = store_limits{});

  /// Sets `key` to `value` until `ttl` from `now`, replacing any earlier value.
  status set(const std::string& key, const std::string& value, millis ttl, timestamp now);

  /// The value of `key`, unless it is missing or expired at `now`.
  std::optional<std::string> get(const std::string& key, timestamp now) const;

  /// When `key` expires, unless it is missing or expired at `now`.
  std::optional<timestamp> expires_at(const std::string& key, timestamp now) const;

  /// Extends a live key to `ttl` from `now`; false when it is missing or expired.
  outcome<bool> touch(const std::string& key, millis ttl, timestamp now);

  /// Removes `key`; false when there was no such key.
  outcome<bool> erase(const std::string& key);

  /// Removes every key expired at `now`, returned in expiry order.
  outcome<std::vector<store_entry>> expire(timestamp now);

  /// The soonest expiry: when `expire` has something to do next.
  std::optional<timestamp> next_expiry() const;

  /// Keys held, including expired ones `expire` has not removed yet.
  std::size_t size() const { return keys_.size(); }

  /// Writes a snapshot of everything and starts a new journal (only for a
  /// store opened on a file).
  status compact(timestamp now);

  // -- replayable: what the files restore into -----------------------------------
  void begin(timestamp saved_at, std::uint64_t generation, std::size_t about) override;
  status add(timeout&& t, snapshot_list to) override;
  void clear() override;
  status apply(change c) override;
  void for_each(snapshot_list of, const visitor& each) const override;

private:
  status check(const std::string& key, const std::string* value, millis ttl,
               timestamp now) const;
  std::optional<token> live_token(const std::string& key, timestamp now) const;
  /// Journals `changes` (when on a file), then applies them: memory changes
  /// only once the change is durable.
  status commit(std::vector<change> changes, timestamp now);
  status write(const std::vector<change>& changes);
  void compact_if_long(timestamp now);

  // Behind a pointer: the table is chronos's internal, not part of this API.
  std::unique_ptr<timer_table> table_;
  std::unordered_map<std::string, token> keys_;
  token_generator tokens_;
  store_limits limits_;
  std::string path_;
  std::shared_ptr<change_log> journal_;
  std::uint64_t generation_ = 0; // of the journal file
  std::size_t journaled_ = 0; // records in the current journal
  timestamp last_now_{};      // the latest time a caller gave: a compaction's stamp
};

} // namespace chronos
