#include "chronos/store/expiring_store.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "chronos/base/log.hpp"
#include "chronos/detail/timer_table.hpp"
#include "chronos/store/persistence.hpp"

namespace chronos {

expiring_store::expiring_store(token_generator tokens, store_limits limits)
  : table_(std::make_unique<timer_table>()), tokens_(std::move(tokens)), limits_(limits) {
}

expiring_store::expiring_store(expiring_store&&) noexcept = default;
expiring_store& expiring_store::operator=(expiring_store&&) noexcept = default;
expiring_store::~expiring_store() = default;

std::optional<timestamp> expiring_store::next_expiry() const {
  return table_->next_deadline();
}

outcome<expiring_store> expiring_store::open(const std::string& path, timestamp now,
                                             store_limits limits) {
  expiring_store store{token_generator{}, limits};
  auto recovered = recover(path, store, durability::always);
  if (!recovered)
    return recovered.error();
  store.path_ = path;
  store.journal_ = std::move(recovered->log);
  store.generation_ = recovered->generation;
  // What expired while the store was closed goes now, journaled like any expiry.
  if (auto gone = store.expire(now); !gone)
    return gone.error();
  return store;
}

// -- requests ----------------------------------------------------------------------

status expiring_store::set(const std::string& key, const std::string& value, millis ttl,
                           timestamp now) {
  if (auto ok = check(key, &value, ttl, now); !ok)
    return ok;
  std::vector<change> changes;
  if (auto old = keys_.find(key); old != keys_.end())
    changes.push_back({change::op::cancel, old->second, {}, {}, {}});
  token tok = tokens_.next(now);
  while (table_->contains(tok))
    tok = tokens_.next(now);
  changes.push_back({change::op::schedule, tok, timeout{now + ttl, tok, key, value, millis{0}},
                     {}, {}});
  return commit(std::move(changes), now);
}

std::optional<std::string> expiring_store::get(const std::string& key, timestamp now) const {
  auto tok = live_token(key, now);
  if (!tok)
    return std::nullopt;
  return table_->find(*tok)->payload;
}

std::optional<timestamp> expiring_store::expires_at(const std::string& key,
                                                    timestamp now) const {
  auto tok = live_token(key, now);
  if (!tok)
    return std::nullopt;
  return table_->deadline_of(*tok);
}

outcome<bool> expiring_store::touch(const std::string& key, millis ttl, timestamp now) {
  if (auto ok = check(key, nullptr, ttl, now); !ok)
    return ok.error();
  auto tok = live_token(key, now);
  if (!tok)
    return false;
  if (auto ok = commit({{change::op::reschedule, *tok, {}, now + ttl, {}}}, now); !ok)
    return ok.error();
  return true;
}

outcome<bool> expiring_store::erase(const std::string& key) {
  auto found = keys_.find(key);
  if (found == keys_.end())
    return false;
  if (auto ok = commit({{change::op::cancel, found->second, {}, {}, {}}}, last_now_); !ok)
    return ok.error();
  return true;
}

outcome<std::vector<store_entry>> expiring_store::expire(timestamp now) {
  std::vector<change> changes;
  std::vector<store_entry> gone;
  // Popped first (the heap gives them in order), journaled, and put back if
  // the journal cannot take them: memory follows the disk.
  last_now_ = std::max(last_now_, now);
  auto due = table_->pop_due(now);
  if (due.empty())
    return gone;
  for (const auto& t : due)
    changes.push_back({change::op::fire, t.token, {}, {}, {}});
  if (auto ok = write(changes); !ok) {
    for (auto& t : due)
      table_->insert(std::move(t));
    return ok.error();
  }
  gone.reserve(due.size());
  for (auto& t : due) {
    keys_.erase(t.name);
    gone.push_back({std::move(t.name), std::move(t.payload), t.deadline});
  }
  compact_if_long(now);
  return gone;
}

status expiring_store::compact(timestamp now) {
  if (!journal_)
    return fail(errc::invalid_argument, "the store has no file");
  const auto next = generation_ + 1;
  auto fresh = journal_writer::create(journal_path(path_, next), next);
  if (!fresh)
    return fresh.error();
  // From here on both journals are replayed until the snapshot lands, so a
  // failure below loses nothing.
  journal_ = std::make_shared<journal_writer>(std::move(*fresh));
  generation_ = next;
  journaled_ = 0;
  return checkpoint(path_, *this, now, next);
}

// -- replayable ----------------------------------------------------------------------

void expiring_store::begin(timestamp, std::uint64_t, std::size_t about) {
  table_->reserve(table_->size() + about);
}

status expiring_store::add(timeout&& t, snapshot_list to) {
  if (to == snapshot_list::parked)
    return fail(errc::storage_failure, "a store file has no parked entries");
  return apply({change::op::schedule, t.token, std::move(t), {}, {}});
}

void expiring_store::clear() {
  *table_ = timer_table{};
  keys_.clear();
}

status expiring_store::apply(change c) {
  bool fits = false;
  switch (c.what) {
    case change::op::schedule: {
      auto key = c.entry.name;
      fits = !c.entry.recurring() && !keys_.count(key) && table_->insert(std::move(c.entry));
      if (fits)
        keys_.emplace(std::move(key), c.token);
      break;
    }
    case change::op::cancel:
    case change::op::fire:
      if (auto t = table_->erase(c.token)) {
        keys_.erase(t->name);
        fits = true;
      }
      break;
    case change::op::reschedule:
      fits = table_->reschedule(c.token, c.deadline);
      break;
    default: // recurring and parked timeouts have no place in a store
      break;
  }
  if (!fits)
    return fail(errc::storage_failure, std::string{to_string(c.what)} + " of token "
                                         + c.token.str() + " does not fit the store");
  return done{};
}

void expiring_store::for_each(snapshot_list of, const visitor& each) const {
  if (of == snapshot_list::pending) // a store parks nothing
    table_->for_each_in_order(each);
}

// -- helpers ---------------------------------------------------------------------------

status expiring_store::check(const std::string& key, const std::string* value, millis ttl,
                             timestamp now) const {
  if (key.empty())
    return fail(errc::invalid_argument, "empty key");
  if (key.size() > limits_.max_key_bytes)
    return fail(errc::invalid_argument,
                "key longer than " + std::to_string(limits_.max_key_bytes) + " bytes");
  if (!valid_utf8(key))
    return fail(errc::invalid_argument, "key is not valid UTF-8");
  if (value && value->size() > limits_.max_value_bytes)
    return fail(errc::invalid_argument,
                "value larger than " + std::to_string(limits_.max_value_bytes) + " bytes");
  if (value && !valid_utf8(*value))
    return fail(errc::invalid_argument, "value is not valid UTF-8");
  if (ttl.count() <= 0)
    return fail(errc::invalid_argument, "time to live must be positive");
  if (ttl.count() > max_deadline_ms - to_epoch_ms(now))
    return fail(errc::invalid_argument, "expiry after 9999-12-31");
  return done{};
}

std::optional<token> expiring_store::live_token(const std::string& key, timestamp now) const {
  auto found = keys_.find(key);
  if (found == keys_.end() || table_->deadline_of(found->second) <= now)
    return std::nullopt;
  return found->second;
}

status expiring_store::write(const std::vector<change>& changes) {
  if (!journal_)
    return done{};
  std::string records;
  for (const auto& c : changes)
    journal_->encode(records, c);
  if (auto ok = journal_->append(records); !ok)
    return ok;
  // A failed fsync leaves the records' fate unknown, as for any program; the
  // caller is told, and memory stays as it was.
  if (auto ok = journal_->sync(); !ok)
    return ok;
  journaled_ += changes.size();
  return done{};
}

status expiring_store::commit(std::vector<change> changes, timestamp now) {
  last_now_ = std::max(last_now_, now);
  if (auto ok = write(changes); !ok)
    return ok;
  for (auto& c : changes)
    apply(std::move(c)); // checked before: cannot fail
  compact_if_long(now);
  return done{};
}

void expiring_store::compact_if_long(timestamp now) {
  if (!journal_ || journaled_ <= std::max<std::size_t>(1024, 2 * keys_.size()))
    return;
  if (auto ok = compact(now); !ok)
    log_warning("store '" + path_ + "': compaction failed, the journal keeps growing: "
                + ok.error().detail);
}

} // namespace chronos
