#pragma once

// The timer table: every pending timeout, ordered by (deadline, token). A
// timeout with a jitter is placed by the instant it fires, its deadline plus
// its delay (timeout::fires_at): "deadline" below means that instant.
//
// What it must do, in about equal measure: give the soonest deadline (every
// request may re-arm the one wake-up), pop everything due in order, erase and
// reschedule by token (cancel is as common as fire: most timeouts guard an
// operation that succeeds), and show one name's timeouts in order (listing,
// and delivering a backlog when a name registers).
//
// Why this shape. Millions of timeouts must fit in little memory and be
// touched with few cache misses, so nothing here is a node container:
// - a slot array holds each timeout's token, interned name id and links (36
//   bytes); payloads and timing rules (a period or a calendar, a misfire
//   policy, a jitter: interned, rule_pool.hpp), which most timeouts lack,
//   live in a side array that a slot points into, with the delay a jitter
//   drew and a recurring timeout's previous deadline;
// - a 4-ary min-heap of (deadline, slot) entries (12 bytes; four children
//   share a cache line) gives the soonest deadline in O(1) and insert, pop
//   and reschedule in O(log n); each slot knows its heap position. Erasing
//   by token only marks the timeout's entry, which leaves when it reaches
//   the root or when the marked entries outnumber the live ones and the
//   heap is rebuilt (O(n), once per as many erasures): taking an entry out
//   of the middle moves others and rewrites their slots, cache misses that
//   cost batched cancels about a quarter of their time at a million;
// - an open-addressing index maps a token to its slot (slot_index.hpp);
// - each name threads a doubly linked list through its slots; a per-name
//   view is collected and sorted on demand (listing and backlogs are rare,
//   schedules and cancels are not).
// About 60 bytes per timeout at a million (a map, a hash and a per-name set
// would take several times that). When fewer than a quarter of the slots are in
// use, the arrays are packed and shrunk, so cancelled timeouts give their
// memory back.
//
// Ties. Two timeouts with the same deadline are both kept (the Erlang original
// keyed its table by deadline and lost one) and fire in token order. Tokens
// start with their creation time, so equal deadlines fire oldest-first, and the
// order is the same in every run and after a restore.
// A heap entry carries, below its deadline, a coarse measure of how long
// before it the token was made, so that most ties are settled without
// looking at two slots (two cache misses each, when a million timeouts are
// due at one instant).
//
// No CAF, no I/O, no clock: "now" is always an argument.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chronos/detail/rule_pool.hpp"
#include "chronos/detail/name_pool.hpp"
#include "chronos/detail/page_vector.hpp"
#include "chronos/detail/slot_index.hpp"
#include "chronos/table/timeout.hpp"

namespace chronos {

class timer_table {
public:
  /// Adds `t`; false (and no change) if its token is already present.
  /// Deadlines here are those chronos accepts: 0 to max_deadline_ms.
  bool insert(timeout t);
  /// The same for a timeout whose texts the caller keeps: a copy goes in.
  bool insert_copy(const timeout_view& t);

  /// Makes room for `n` timeouts in all, so that inserting them moves
  /// nothing (a restore knows how many come).
  void reserve(std::size_t n);

  /// Removes and returns the timeout with token `tok`, if any.
  std::optional<timeout> erase(token tok);

  /// Removes the timeout with token `tok`, if any, without copying it out.
  bool discard(token tok);

  /// Where a timeout is, for a batch that checks every token before it
  /// removes any: one lookup each (`locate`), then removals by location,
  /// then `shrink_if_sparse`. Removing at a location moves no other timeout; any other
  /// change (`shrink_if_sparse` included) may, and ends every location's
  /// validity.
  class location {
    friend class timer_table;
    explicit location(std::uint32_t slot) : slot_(slot) {}
    std::uint32_t slot_;
  };
  std::optional<location> locate(token tok) const;
  timeout erase(location at);
  void discard(location at);
  /// Packs and shrinks the arrays if removals left them sparse.
  void shrink_if_sparse();

  /// A copy of the timeout with token `tok`, if any.
  std::optional<timeout> find(token tok) const;
  bool contains(token tok) const { return slot_of(tok) != none; }

  /// What a batch does with each token: looks it up, inserts it, or
  /// removes its timeout (which touches more: see for_each_ahead).
  enum class batch_use { find, insert, remove };

  /// For a batch: calls `f(i)` for i = 0 .. n-1 in order, stopping at the
  /// first false, and returns where it stopped (n if it did not). Before
  /// each call it hints the cache with what the calls for later tokens
  /// (`token_at(j)`) will touch: their index buckets, then their slots, and,
  /// when the batch removes them, their heap entries (marked) and their name-list
  /// neighbours. At a million timeouts each of those is a cache miss; this
  /// way the misses of several tokens overlap instead of following one
  /// another.
  template <class TokenAt, class F>
  std::size_t for_each_ahead(std::size_t n, TokenAt token_at, batch_use use, F f) const {
    constexpr std::size_t step = 4;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + 3 * step < n)
        prefetch(token_at(i + 3 * step), ahead::bucket);
      if (i + 2 * step < n)
        prefetch(token_at(i + 2 * step), ahead::slot);
      if (use == batch_use::remove && i + step < n)
        prefetch(token_at(i + step), ahead::neighbours);
      if (!f(i))
        return i;
    }
    return n;
  }

  /// Hints the cache that `tok` is looked up or added soon: its index
  /// bucket, a cache miss in a large table, fetched while the caller works.
  void expect(token tok) const { prefetch(tok, ahead::bucket); }

  /// The deadline of `tok`, if present: a lookup without copying the texts.
  std::optional<timestamp> deadline_of(token tok) const;

  /// The jitter bound of `tok`; zero if it has none or is not here.
  millis jitter_of(token tok) const;

  /// Moves the timeout `tok` to `deadline`, to fire `delay` after it (its
  /// jitter's draw, below its jitter); false if there is no such token.
  bool reschedule(token tok, timestamp deadline, millis delay = millis{0});

  /// Moves a recurring timeout on to its next deadline, as `reschedule`,
  /// keeping the deadline it leaves as its previous one.
  bool rearm(token tok, timestamp deadline, millis delay);

  /// Removes the timeouts that fire at or before now, at most `limit` of them (the
  /// soonest), returned in (deadline, token) order.
  std::vector<timeout> pop_due(timestamp now, std::size_t limit = SIZE_MAX);

  /// The same, handing each to `f` as it leaves the heap (a fire storm's
  /// first delivery need not wait for the last pop); `t` lives for the call
  /// only, and `f` may take its strings. `f` must not change this table.
  void pop_due(timestamp now, std::size_t limit, const std::function<void(timeout&)>& f);

  /// Removes every timeout of `name`, returned in (deadline, token) order.
  std::vector<timeout> take(const std::string& name);

  std::optional<timestamp> next_deadline() const;

  /// Copies of all timeouts, or those of one name, in (deadline, token) order.
  std::vector<timeout> entries() const;
  std::vector<timeout> entries(const std::string& name) const;
  std::vector<timeout> entries(const std::vector<std::string>& names) const;

  /// Calls `f(t)` for every timeout in (deadline, token) order; `t` lives
  /// for the call only. Writing a state file this way copies no list of a
  /// million timeouts (100 MB) just to encode each once.
  void for_each_in_order(const std::function<void(const timeout&)>& f) const;

  /// How many timeouts `name` has here.
  std::size_t count(const std::string& name) const;

  /// Calls `f(name, count)` for every name with timeouts here, in no
  /// particular order: what bulk requests pick their names from.
  template <class F>
  void for_each_name(F&& f) const {
    names_.for_each(f);
  }

  std::size_t size() const { return heap_.size() - marked_; }
  bool empty() const { return size() == 0; }

  /// Bytes held by the table's arrays and indexes, its name pool's included
  /// (payloads, and names too long to sit inside a std::string, not
  /// counted): what the benchmarks and the memory tests look at.
  std::size_t memory_bytes() const;
  /// Bytes of payload text the table holds.
  std::size_t payload_bytes() const { return payload_bytes_; }

private:
  enum class ahead { bucket, slot, neighbours };
  /// A hint only: changes nothing, and one made stale by a change in
  /// between costs nothing.
  void prefetch(token tok, ahead what) const;

  using slot_id = slot_index<token>::slot_id;
  static constexpr slot_id none = slot_index<token>::none;

  struct slot {
    std::uint32_t token_words[4]; // the token; 4-byte words keep the slot at 36 bytes
    name_pool::id name;
    std::uint32_t heap;     // position in heap_
    slot_id prev, next;     // the name's list; `next` chains free slots
    std::uint32_t extra;    // index into extras_, or none

    chronos::token token() const;
    void set_token(chronos::token t);
  };

  /// The heap's order, (deadline, token), mostly without the token: the key
  /// is the deadline (48 bits: up to 9999-12-31) and, below it, how long
  /// before its deadline the token was made, coarsely (16 bits). Among
  /// equal deadlines the older token has the longer lead, so keys that
  /// differ are in token order, and only equal keys need the slots' tokens.
  struct heap_entry {
    std::uint32_t key_lo;
    std::uint32_t key_hi; // split so that the entry packs into 12 bytes
    slot_id slot;         // `none` once its timeout is erased (marked)

    bool live() const { return slot != none; }

    std::uint64_t key() const { return std::uint64_t{key_hi} << 32 | key_lo; }
    std::int64_t deadline_ms() const { return static_cast<std::int64_t>(key() >> 16); }
    void set_key(timestamp deadline, chronos::token t);
  };

  struct extra {
    std::string payload;
    rule_pool::id rule = rule_pool::none;
    std::uint32_t delay_ms = 0; // < jitter, which is below 2^32 ms
    std::int64_t prev_ms = 0;
  };

  /// How the token index finds a slot's token.
  auto key_of() const {
    return [this](slot_id s) { return slots_[s].token(); };
  }
  slot_id slot_of(token tok) const;
  bool less(const heap_entry& a, const heap_entry& b) const;
  timeout copy_of(const heap_entry& e) const;
  void write_over(timeout& t, const heap_entry& e) const;
  std::vector<heap_entry> sorted(std::vector<heap_entry> entries) const;
  void collect(const std::string& name, std::vector<heap_entry>& into) const;

  /// insert's body; `take_payload()` gives t's payload as a string (moved
  /// out of a timeout, copied from a view) when the slot needs its extra.
  template <class TakePayload>
  bool insert(const timeout_view& t, TakePayload take_payload);
  slot_id allocate_slot();
  std::uint32_t allocate_extra(extra e);
  timeout unlink(slot_id s);
  void free_slot(slot_id s);
  void link_name(slot_id s);
  void unlink_name(slot_id s);

  void place(std::size_t pos, heap_entry e);
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  std::size_t least_child(std::size_t pos) const;
  void sink_from_root(heap_entry last);
  void heap_erase(std::size_t pos);
  void remove_root();
  void drop_marked_roots();
  void purge_marked();

  void pack_names();
  void pack_slots();
  void move_slot(slot_id from, slot_id to);
  void pack_extras();

  page_vector<slot> slots_;
  slot_id free_slots_ = none;
  page_vector<heap_entry> heap_;
  std::size_t marked_ = 0; // marked entries in heap_; never the root
  slot_index<token> index_;
  name_pool names_;
  rule_pool rules_;
  std::vector<slot_id> heads_; // by name id: the first slot of the name's list
  std::vector<extra> extras_;
  std::vector<std::uint32_t> free_extras_;
  std::size_t payload_bytes_ = 0;
};

} // namespace chronos
