#include "chronos/detail/timer_table.hpp"

#include <algorithm>
#include <utility>

#include "table/radix_sort.hpp"
#include "table/worth_packing.hpp"

namespace chronos {

namespace {

constexpr std::size_t arity = 4;
// From how many entries a radix sort beats comparisons (its fixed cost is a
// few passes over 2,048 counters).
constexpr std::size_t radix_from = 1024;

} // namespace

static_assert(sizeof(std::uint32_t[4]) == sizeof(token), "a token is 128 bits");

// -- slots and heap entries ----------------------------------------------------

token timer_table::slot::token() const {
  auto word = [this](int i) { return std::uint64_t{token_words[i]}; };
  return chronos::token{word(0) << 32 | word(1), word(2) << 32 | word(3)};
}

void timer_table::slot::set_token(chronos::token t) {
  token_words[0] = static_cast<std::uint32_t>(t.stamp() >> 32);
  token_words[1] = static_cast<std::uint32_t>(t.stamp());
  token_words[2] = static_cast<std::uint32_t>(t.random() >> 32);
  token_words[3] = static_cast<std::uint32_t>(t.random());
}

namespace {

// A lead time (ms, clamped at 0) in 16 bits, order kept: exact below 1,024 ms,
// then a power of two and the next 10 bits (0.1%).
std::uint64_t lead_code(std::int64_t lead_ms) {
  const auto lead = static_cast<std::uint64_t>(std::max<std::int64_t>(lead_ms, 0));
  if (lead < 1024)
    return lead;
  const unsigned width = 64 - static_cast<unsigned>(__builtin_clzll(lead));
  return std::uint64_t{width - 10} << 10 | ((lead >> (width - 11)) & 0x3ff);
}

} // namespace

void timer_table::heap_entry::set_key(timestamp deadline, chronos::token t) {
  const auto ms = to_epoch_ms(deadline);
  const std::uint64_t k = static_cast<std::uint64_t>(ms) << 16
                          | (0xffff - lead_code(ms - static_cast<std::int64_t>(t.stamp())));
  key_lo = static_cast<std::uint32_t>(k);
  key_hi = static_cast<std::uint32_t>(k >> 32);
}

// Among equal keys marked entries come first (they have no token to
// compare), so that they leave the root sooner.
bool timer_table::less(const heap_entry& a, const heap_entry& b) const {
  if (a.key() != b.key())
    return a.key() < b.key();
  if (!a.live() || !b.live())
    return !a.live() && b.live();
  return slots_[a.slot].token() < slots_[b.slot].token();
}

timer_table::slot_id timer_table::slot_of(token tok) const {
  return index_.find(tok, key_of());
}

void timer_table::prefetch(token tok, ahead what) const {
  if (what == ahead::bucket)
    return index_.prefetch(tok);
  if (what == ahead::slot) {
    if (const auto s = index_.likely_slot(tok); s < slots_.size())
      detail::prefetch(&slots_[s]);
    return;
  }
  const auto s = index_.likely_slot(tok);
  if (s >= slots_.size())
    return;
  const auto& found = slots_[s];
  const std::size_t pos = found.heap;
  if (pos >= heap_.size())
    return;
  detail::prefetch(&heap_[pos]); // marked as erased
  // Its name-list neighbours, which the unlinking writes.
  for (auto other : {found.prev, found.next})
    if (other < slots_.size()) // `none` is not
      detail::prefetch(&slots_[other]);
}

timeout timer_table::copy_of(const heap_entry& e) const {
  timeout t;
  write_over(t, e);
  return t;
}

// Assigning keeps the room `t`'s strings have: a walk over every timeout
// through one `t` allocates only for the longest texts.
void timer_table::write_over(timeout& t, const heap_entry& e) const {
  const auto& s = slots_[e.slot];
  t.deadline = from_epoch_ms(e.deadline_ms());
  t.token = s.token();
  t.name = names_.text(s.name);
  const auto* x = s.extra == none ? nullptr : &extras_[s.extra];
  static const timing_rule plain;
  const auto& rule = x && x->rule != rule_pool::none ? rules_.get(x->rule) : plain;
  if (x)
    t.payload = x->payload;
  else
    t.payload.clear();
  t.interval = rule.interval;
  t.misfire = rule.misfire;
  t.calendar = rule.calendar;
  t.jitter = rule.jitter;
  t.delay = millis{x ? x->delay_ms : 0};
  t.prev = from_epoch_ms(x ? x->prev_ms : 0);
  t.deadline -= t.delay; // the heap holds when it fires
}

// -- the public operations -----------------------------------------------------

template <class TakePayload>
bool timer_table::insert(const timeout_view& t, TakePayload take_payload) {
  if (contains(t.token))
    return false;
  const auto s = allocate_slot();
  slots_[s].set_token(t.token);
  slots_[s].name = names_.acquire(t.name);
  const timing_rule rule{t.interval, t.misfire, t.jitter, t.calendar};
  const bool timed = !rule.plain();
  slots_[s].extra = t.payload.empty() && !timed
                      ? none
                      : allocate_extra({take_payload(), timed ? rules_.acquire(rule) : rule_pool::none,
                                        static_cast<std::uint32_t>(t.delay.count()),
                                        to_epoch_ms(t.prev)});
  link_name(s);
  index_.insert(s, key_of());
  heap_entry e{0, 0, s};
  e.set_key(t.deadline + t.delay, t.token);
  heap_.emplace_back();
  place(heap_.size() - 1, e);
  sift_up(heap_.size() - 1);
  return true;
}

bool timer_table::insert(timeout t) {
  const timeout_view v{t.deadline, t.token, t.name,    t.payload,
                       t.interval, t.misfire, t.key, std::move(t.calendar),
                       t.jitter,   t.delay,   t.prev};
  return insert(v, [&t] { return std::move(t.payload); });
}

bool timer_table::insert_copy(const timeout_view& t) {
  return insert(t, [&t] { return std::string{t.payload}; });
}

void timer_table::reserve(std::size_t n) {
  slots_.reserve(n);
  heap_.reserve(n + marked_); // marked entries hold their places until purged
  index_.reserve(n, key_of());
}

std::optional<timeout> timer_table::erase(token tok) {
  const auto at = locate(tok);
  if (!at)
    return std::nullopt;
  auto t = erase(*at);
  shrink_if_sparse();
  return t;
}

bool timer_table::discard(token tok) {
  const auto at = locate(tok);
  if (!at)
    return false;
  discard(*at);
  shrink_if_sparse();
  return true;
}

std::optional<timer_table::location> timer_table::locate(token tok) const {
  const auto s = slot_of(tok);
  if (s == none)
    return std::nullopt;
  return location{s};
}

timeout timer_table::erase(location at) { return unlink(at.slot_); }

void timer_table::discard(location at) { free_slot(at.slot_); }

std::optional<timeout> timer_table::find(token tok) const {
  const auto s = slot_of(tok);
  if (s == none)
    return std::nullopt;
  return copy_of(heap_[slots_[s].heap]);
}

std::optional<timestamp> timer_table::deadline_of(token tok) const {
  const auto s = slot_of(tok);
  if (s == none)
    return std::nullopt;
  const auto delay = slots_[s].extra == none ? 0 : extras_[slots_[s].extra].delay_ms;
  return from_epoch_ms(heap_[slots_[s].heap].deadline_ms() - delay);
}

millis timer_table::jitter_of(token tok) const {
  const auto s = slot_of(tok);
  if (s == none || slots_[s].extra == none || extras_[slots_[s].extra].rule == rule_pool::none)
    return millis{0};
  return rules_.get(extras_[slots_[s].extra].rule).jitter;
}

bool timer_table::rearm(token tok, timestamp deadline, millis delay) {
  const auto s = slot_of(tok);
  if (s == none || slots_[s].extra == none) // a recurring timeout has its side record
    return false;
  auto& x = extras_[slots_[s].extra];
  x.prev_ms = heap_[slots_[s].heap].deadline_ms() - x.delay_ms;
  return reschedule(tok, deadline, delay);
}

bool timer_table::reschedule(token tok, timestamp deadline, millis delay) {
  const auto s = slot_of(tok);
  if (s == none)
    return false;
  if (slots_[s].extra != none) // a delay comes with a jitter, and so with a side record
    extras_[slots_[s].extra].delay_ms = static_cast<std::uint32_t>(delay.count());
  const auto pos = slots_[s].heap;
  const auto before = heap_[pos];
  heap_[pos].set_key(deadline + (slots_[s].extra == none ? millis{0} : delay), slots_[s].token());
  if (less(heap_[pos], before))
    sift_up(pos);
  else
    sift_down(pos);
  drop_marked_roots(); // a marked child may have come up
  return true;
}

std::vector<timeout> timer_table::pop_due(timestamp now, std::size_t limit) {
  std::vector<timeout> due;
  pop_due(now, limit, [&due](timeout& t) { due.push_back(std::move(t)); });
  return due;
}

void timer_table::pop_due(timestamp now, std::size_t limit,
                          const std::function<void(timeout&)>& f) {
  const auto now_ms = to_epoch_ms(now);
  timeout t;
  for (std::size_t n = 0; n < limit && !heap_.empty() && heap_.front().deadline_ms() <= now_ms;
       ++n) {
    const auto s = heap_.front().slot;
    write_over(t, heap_.front());
    free_slot(s);
    f(t);
  }
  shrink_if_sparse();
}

std::vector<timeout> timer_table::take(const std::string& name) {
  std::vector<heap_entry> found;
  collect(name, found);
  std::vector<timeout> taken;
  taken.reserve(found.size());
  for (const auto& e : sorted(std::move(found)))
    taken.push_back(unlink(e.slot)); // slot ids stay valid: no shrinking in between
  shrink_if_sparse();
  return taken;
}

std::optional<timestamp> timer_table::next_deadline() const {
  if (heap_.empty())
    return std::nullopt;
  return from_epoch_ms(heap_.front().deadline_ms());
}

std::vector<timeout> timer_table::entries() const {
  std::vector<timeout> all;
  all.reserve(size());
  for_each_in_order([&](const timeout& t) { all.push_back(t); });
  return all;
}

void timer_table::for_each_in_order(const std::function<void(const timeout&)>& f) const {
  // In deadline order the slots are scattered: each one a cache miss, so
  // they are fetched a few timeouts ahead.
  constexpr std::size_t ahead = 8;
  std::vector<heap_entry> live;
  live.reserve(size());
  std::copy_if(heap_.begin(), heap_.end(), std::back_inserter(live),
               [](const heap_entry& e) { return e.live(); });
  const auto in_order = sorted(std::move(live));
  timeout t;
  for (std::size_t i = 0; i < in_order.size(); ++i) {
    if (i + ahead < in_order.size())
      detail::prefetch(&slots_[in_order[i + ahead].slot]);
    write_over(t, in_order[i]);
    f(t);
  }
}

std::vector<timeout> timer_table::entries(const std::string& name) const {
  return entries(std::vector<std::string>{name});
}

std::vector<timeout> timer_table::entries(const std::vector<std::string>& names) const {
  std::vector<heap_entry> found;
  for (const auto& name : names)
    collect(name, found);
  std::vector<timeout> some;
  some.reserve(found.size());
  for (const auto& e : sorted(std::move(found)))
    some.push_back(copy_of(e));
  return some;
}

std::size_t timer_table::count(const std::string& name) const {
  const auto n = names_.find(name);
  return n ? names_.users(*n) : 0;
}

std::size_t timer_table::memory_bytes() const {
  return slots_.capacity() * sizeof(slot) + heap_.capacity() * sizeof(heap_entry)
         + index_.memory_bytes() + heads_.capacity() * sizeof(slot_id)
         + extras_.capacity() * sizeof(extra) + free_extras_.capacity() * sizeof(std::uint32_t)
         + names_.memory_bytes() + rules_.memory_bytes();
}

// -- helpers -------------------------------------------------------------------

// Keys settle the order of all but ties: many entries are sorted by key, then
// each run of equal keys by token.
std::vector<timer_table::heap_entry> timer_table::sorted(std::vector<heap_entry> entries) const {
  const auto by_order = [this](const heap_entry& a, const heap_entry& b) { return less(a, b); };
  if (entries.size() < radix_from) {
    std::sort(entries.begin(), entries.end(), by_order);
    return entries;
  }
  detail::radix_sort(entries, [](const heap_entry& e) { return e.key(); });
  for (auto run = entries.begin(); run != entries.end();) {
    const auto key = run->key();
    const auto end = std::find_if(run + 1, entries.end(),
                                  [key](const heap_entry& e) { return e.key() != key; });
    if (end - run > 1)
      std::sort(run, end, by_order);
    run = end;
  }
  return entries;
}

void timer_table::collect(const std::string& name, std::vector<heap_entry>& into) const {
  const auto n = names_.find(name);
  if (!n)
    return;
  for (auto s = heads_[*n]; s != none; s = slots_[s].next)
    into.push_back(heap_[slots_[s].heap]);
}

timer_table::slot_id timer_table::allocate_slot() {
  if (free_slots_ == none) {
    slots_.emplace_back();
    return static_cast<slot_id>(slots_.size() - 1);
  }
  const auto s = free_slots_;
  free_slots_ = slots_[s].next;
  return s;
}

std::uint32_t timer_table::allocate_extra(extra e) {
  payload_bytes_ += e.payload.size();
  if (free_extras_.empty()) {
    extras_.push_back(std::move(e));
    return static_cast<std::uint32_t>(extras_.size() - 1);
  }
  const auto x = free_extras_.back();
  free_extras_.pop_back();
  extras_[x] = std::move(e);
  return x;
}

// Removes slot `s` from every structure and returns its timeout.
timeout timer_table::unlink(slot_id s) {
  timeout t = copy_of(heap_[slots_[s].heap]);
  free_slot(s);
  return t;
}

void timer_table::free_slot(slot_id s) {
  heap_erase(slots_[s].heap);
  index_.erase(s, key_of());
  unlink_name(s);
  names_.release(slots_[s].name);
  if (slots_[s].extra != none) {
    payload_bytes_ -= extras_[slots_[s].extra].payload.size();
    if (extras_[slots_[s].extra].rule != rule_pool::none)
      rules_.release(extras_[slots_[s].extra].rule);
    extras_[slots_[s].extra] = extra{};
    free_extras_.push_back(slots_[s].extra);
  }
  slots_[s].next = free_slots_;
  free_slots_ = s;
}

void timer_table::link_name(slot_id s) {
  const auto n = slots_[s].name;
  if (heads_.size() < names_.id_bound())
    heads_.resize(names_.id_bound(), none);
  slots_[s].prev = none;
  slots_[s].next = heads_[n];
  if (heads_[n] != none)
    slots_[heads_[n]].prev = s;
  heads_[n] = s;
}

void timer_table::unlink_name(slot_id s) {
  const auto [prev, next] = std::pair{slots_[s].prev, slots_[s].next};
  if (prev != none)
    slots_[prev].next = next;
  else
    heads_[slots_[s].name] = next;
  if (next != none)
    slots_[next].prev = prev;
}

// -- the 4-ary heap ------------------------------------------------------------

void timer_table::place(std::size_t pos, heap_entry e) {
  heap_[pos] = e;
  if (e.live())
    slots_[e.slot].heap = static_cast<std::uint32_t>(pos);
}

void timer_table::sift_up(std::size_t pos) {
  const auto moving = heap_[pos];
  while (pos > 0) {
    const auto parent = (pos - 1) / arity;
    if (!less(moving, heap_[parent]))
      break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, moving);
}

// The least of `pos`'s children, or `pos` itself if it has none.
inline std::size_t timer_table::least_child(std::size_t pos) const {
  const auto n = heap_.size();
  const auto first = pos * arity + 1;
  if (first >= n)
    return pos;
  // The grandchildren are contiguous: fetching them now overlaps the next
  // level's cache misses with this level's instead of following them.
  const auto grand = first * arity + 1;
  if (grand < n) {
    constexpr std::size_t span = arity * arity * sizeof(heap_entry);
    const auto* from = reinterpret_cast<const char*>(&heap_[grand]);
    for (std::size_t offset = 0; offset < span; offset += 64)
      detail::prefetch(from + offset);
    detail::prefetch(from + span - 1); // the last line, when they start mid-line
  }
  auto best = first;
  for (auto c = first + 1; c < std::min(first + arity, n); ++c)
    if (less(heap_[c], heap_[best]))
      best = c;
  return best;
}

void timer_table::sift_down(std::size_t pos) {
  const auto moving = heap_[pos];
  for (auto best = least_child(pos); best != pos && less(heap_[best], moving);
       best = least_child(pos)) {
    place(pos, heap_[best]);
    pos = best;
  }
  place(pos, moving);
}

// Fills the root's hole with the heap's last entry, which came from the
// bottom and nearly always goes back there: the hole goes down the lesser
// children to a leaf without comparing each with it, then the entry goes up
// from there as far as it must: one comparison a level instead of two.
void timer_table::sink_from_root(heap_entry last) {
  std::size_t pos = 0;
  for (auto best = least_child(pos); best != pos; best = least_child(pos)) {
    place(pos, heap_[best]);
    pos = best;
  }
  place(pos, last);
  sift_up(pos);
}

// An entry below the root is only marked: taking it out would move the
// last entry into its place and that up or down, rewriting the slots of
// every entry moved, each a cache miss in a large table.
void timer_table::heap_erase(std::size_t pos) {
  if (pos + 1 == heap_.size()) {
    heap_.pop_back();
  } else if (pos > 0) {
    heap_[pos].slot = none;
    ++marked_;
  } else {
    remove_root();
    drop_marked_roots();
  }
}

void timer_table::remove_root() {
  const auto last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty())
    sink_from_root(last);
}

// The root is never a marked entry (it is what next_deadline and pop_due
// read): those that came up take their leave.
void timer_table::drop_marked_roots() {
  while (!heap_.empty() && !heap_.front().live()) {
    --marked_;
    remove_root();
  }
}

// Drops every marked entry and restores the heap order over the rest:
// each slot learns its entry's new position (fetched a few ahead: the slots
// lie in no useful order), then Floyd's bottom-up build, O(n).
void timer_table::purge_marked() {
  if (marked_ == 0)
    return;
  const auto kept = std::remove_if(heap_.begin(), heap_.end(),
                                   [](const heap_entry& e) { return !e.live(); });
  heap_.resize(static_cast<std::size_t>(kept - heap_.begin()));
  marked_ = 0;
  const auto n = heap_.size();
  constexpr std::size_t ahead = 8;
  for (std::size_t pos = 0; pos < n; ++pos) {
    if (pos + ahead < n)
      detail::prefetch(&slots_[heap_[pos + ahead].slot]);
    slots_[heap_[pos].slot].heap = static_cast<std::uint32_t>(pos);
  }
  for (auto pos = n > 1 ? (n - 2) / arity + 1 : 0; pos-- > 0;) // every parent, last first
    sift_down(pos);
}

// -- giving memory back ----------------------------------------------------------

// Once three quarters of the slots are free, the live ones are packed into
// the front of the arrays, which then shrink where they are (no fresh pages,
// which the kernel would have to zero); an empty
// table lets go of everything. Marked heap entries go once they outnumber
// the live ones.
void timer_table::shrink_if_sparse() {
  if (empty() && !slots_.empty()) {
    *this = timer_table{};
    return;
  }
  if (marked_ > size())
    purge_marked();
  pack_names();
  if (!detail::worth_packing(size(), slots_.size()))
    return;
  pack_slots();
  pack_extras();
  heap_.shrink_to_fit();
  index_.assign(slots_.size(), key_of());
}

// Once most names are gone (each timeout had its own, say), the pool
// renumbers the rest; the slots and the list heads follow.
void timer_table::pack_names() {
  const auto renumbered = names_.pack();
  if (renumbered.empty())
    return;
  std::vector<slot_id> heads(names_.id_bound(), none);
  for (std::size_t n = 0; n < renumbered.size(); ++n)
    if (renumbered[n] != name_pool::none)
      heads[renumbered[n]] = heads_[n];
  heads_ = std::move(heads);
  for (const auto& e : heap_)
    if (e.live())
      slots_[e.slot].name = renumbered[slots_[e.slot].name];
}

// Moves each live slot at or above the new end (the live count) into a free
// slot below it, so that slots 0 .. size()-1 are the live ones.
void timer_table::pack_slots() {
  const auto n = size();
  std::vector<std::uint64_t> live_below((n + 63) / 64);
  for (const auto& e : heap_)
    if (e.slot < n) // a marked entry's `none` is not
      live_below[e.slot / 64] |= std::uint64_t{1} << (e.slot % 64);
  std::size_t word = 0;
  for (const auto& e : heap_) {
    if (e.slot < n || !e.live())
      continue;
    // There are as many free slots below n as live ones above it.
    while (live_below[word] == ~std::uint64_t{0})
      ++word;
    const auto bit = static_cast<unsigned>(__builtin_ctzll(~live_below[word]));
    live_below[word] |= std::uint64_t{1} << bit;
    move_slot(e.slot, static_cast<slot_id>(word * 64 + bit));
  }
  slots_.resize(n);
  slots_.shrink_to_fit();
  free_slots_ = none;
}

// Puts slot `from` at `to` (free) and points its heap entry and its name's
// list there.
void timer_table::move_slot(slot_id from, slot_id to) {
  const auto& s = slots_[to] = slots_[from];
  heap_[s.heap].slot = to;
  (s.prev == none ? heads_[s.name] : slots_[s.prev].next) = to;
  if (s.next != none)
    slots_[s.next].prev = to;
}

// Moves the side array's live entries to its front, in slot order.
void timer_table::pack_extras() {
  if (free_extras_.empty())
    return;
  std::vector<extra> packed;
  packed.reserve(extras_.size() - free_extras_.size());
  for (auto& s : slots_)
    if (s.extra != none) {
      packed.push_back(std::move(extras_[s.extra]));
      s.extra = static_cast<std::uint32_t>(packed.size() - 1);
    }
  extras_ = std::move(packed);
  free_extras_ = {};
}

} // namespace chronos
