#include "chronos/detail/server_state.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "base/utf8.hpp"
#include "chronos/detail/prefetch.hpp"
#include "chronos/server/namespaces.hpp"
#include "table/distinct_tokens.hpp"

namespace chronos {

namespace {

using batch_use = timer_table::batch_use;

timeout_info info_of(const timeout& t, snapshot_list in) {
  timeout_info info{t.token.str(),      t.name, to_epoch_ms(t.deadline),    t.payload,
                    t.interval.count(), in == snapshot_list::parked, t.misfire};
  if (t.calendar) {
    info.cron = t.calendar->expression();
    info.tz = t.calendar->zone();
  }
  info.jitter_ms = t.jitter.count();
  info.delay_ms = t.delay.count();
  info.prev_ms = to_epoch_ms(t.prev);
  return info;
}

// The first deadline of a recurring timeout strictly after `now`, clamped so
// that a huge interval cannot overflow (libuv clamps the same way); none when
// its calendar names no later instant.
std::optional<timestamp> next_occurrence(const timeout& t, timestamp now) {
  if (t.calendar)
    return t.calendar->next_after(now);
  const std::int64_t d = to_epoch_ms(t.deadline);
  const std::int64_t i = t.interval.count();
  const std::int64_t periods = std::max<std::int64_t>(0, (to_epoch_ms(now) - d) / i) + 1;
  if (periods > (max_deadline_ms - d) / i)
    return from_epoch_ms(max_deadline_ms);
  return from_epoch_ms(d + periods * i);
}

// Missed occurrences of a calendar timeout are counted by walking its
// calendar: up to this many per catch-up, so that a long outage of an
// every-second schedule cannot stall the server.
constexpr std::uint64_t calendar_count_cap = 10'000;

// How many occurrences of recurring `t` fall after its deadline and before
// `until`: those it missed, besides the one due at its deadline.
std::uint64_t missed_after(const timeout& t, timestamp until) {
  if (t.calendar)
    return t.calendar->count_between(t.deadline + millis{1}, until, calendar_count_cap);
  const std::int64_t periods = (until - t.deadline).count() / t.interval.count();
  return static_cast<std::uint64_t>(std::max<std::int64_t>(1, periods) - 1);
}

// The latest `n` occurrences of recurring `t` from its deadline until
// `until` (exclusive), oldest first; `missed` is missed_after's count.
std::vector<timestamp> latest_occurrences(const timeout& t, timestamp until, std::uint64_t missed,
                                          std::size_t n) {
  std::vector<timestamp> out;
  if (t.calendar) {
    out = t.calendar->latest_before(t.deadline + millis{1}, until, n);
    if (out.size() < n)
      out.insert(out.begin(), t.deadline);
    return out;
  }
  const auto due = static_cast<std::int64_t>(missed) + 1;
  const auto first = std::max<std::int64_t>(0, due - static_cast<std::int64_t>(n));
  for (std::int64_t j = first; j < due; ++j)
    out.push_back(t.deadline + millis{j * t.interval.count()});
  return out;
}

} // namespace

server_state::server_state(token_generator tokens, server_limits limits)
  : tokens_(std::move(tokens)), limits_(limits) {
}

void server_state::begin(timestamp, std::uint64_t, std::size_t about) {
  // The arrays then never move a million timeouts as they grow.
  pending_.reserve(pending_.size() + about);
}

status server_state::check_stored(const timeout& t) const {
  status ok = check_name(t.name, limits_);
  if (ok && t.key.size() > limits_.max_name_bytes)
    ok = fail(errc::invalid_argument,
              "key longer than " + std::to_string(limits_.max_name_bytes) + " bytes");
  if (ok && find_control_character(t.key))
    ok = fail(errc::invalid_argument, "key holds a control character");
  if (ok && t.payload.size() > limits_.max_payload_bytes)
    ok = fail(errc::invalid_argument,
              "payload larger than " + std::to_string(limits_.max_payload_bytes) + " bytes");
  if (ok)
    return ok;
  return fail(errc::storage_failure, "timeout " + t.token.str() + ": " + ok.error().detail
                                       + " (a limit in force: raise it to load this state)");
}

status server_state::add(timeout&& t, snapshot_list to) {
  if (auto ok = check_stored(t); !ok)
    return ok;
  const bool parked = to == snapshot_list::parked;
  if (!insert_keyed(parked ? parked_ : pending_, std::move(t)))
    return fail(errc::storage_failure,
                std::string{"duplicate "} + (parked ? "parked" : "pending") + " token in snapshot");
  return done{};
}

// The key index still holds a key whose timeout just left: it is swept only
// when a keyed timeout is added, after this.
std::shared_ptr<const change::before> server_state::before(std::optional<timeout> pending,
                                                           std::optional<timeout> parked) const {
  for (auto* t : {&pending, &parked})
    if (*t)
      (*t)->key = keys_.key_of((*t)->token);
  return std::make_shared<const change::before>(
    change::before{std::move(pending), std::move(parked)});
}

bool server_state::insert_keyed(timer_table& table, timeout&& t) {
  if (t.key.empty())
    return table.insert(std::move(t));
  const std::string name = t.name;
  const std::string key = std::move(t.key);
  const auto tok = t.token;
  if (!table.insert(std::move(t)))
    return false;
  keys_.add(name, key, tok, [this](token held) { return known(held); });
  return true;
}

void server_state::clear() {
  pending_ = timer_table{};
  parked_ = timer_table{};
  keys_.clear();
}

// The tables keep no keys: a keyed timeout goes out with its key added.
void server_state::for_each(snapshot_list of, const visitor& each) const {
  const auto& table = of == snapshot_list::parked ? parked_ : pending_;
  if (keys_.empty()) {
    table.for_each_in_order(each);
    return;
  }
  table.for_each_in_order([&](const timeout& t) {
    const auto key = keys_.key_of(t.token);
    if (key.empty()) {
      each(t);
      return;
    }
    timeout keyed = t;
    keyed.key = key;
    each(keyed);
  });
}

status check_name(const std::string& name, const server_limits& limits) {
  if (name.empty())
    return fail(errc::invalid_argument, "empty name");
  if (name.size() > limits.max_name_bytes)
    return fail(errc::invalid_argument,
                "name longer than " + std::to_string(limits.max_name_bytes) + " bytes");
  if (!valid_utf8(name))
    return fail(errc::invalid_argument, "name is not valid UTF-8");
  if (auto at = find_control_character(name))
    return fail(errc::invalid_argument,
                "name holds a control character at byte " + std::to_string(*at));
  if (name.back() == '/')
    return fail(errc::invalid_argument,
                "name '" + name + "' ends in '/', which marks a namespace");
  return done{};
}

status check_selector(const std::string& selector, const server_limits& limits) {
  if (selector.empty() || !is_namespace(selector))
    return selector.empty() ? status{done{}} : check_name(selector, limits);
  if (auto ok = check_name(selector.substr(0, selector.size() - 1), limits); !ok)
    return fail(errc::invalid_argument,
                "namespace '" + selector + "': " + ok.error().detail);
  return done{};
}

status server_state::check(const schedule_request& req) const {
  if (auto ok = check_name(req.name, limits_); !ok)
    return ok;
  if (req.payload.size() > limits_.max_payload_bytes)
    return fail(errc::invalid_argument, "payload larger than "
                                          + std::to_string(limits_.max_payload_bytes)
                                          + " bytes");
  if (!valid_utf8(req.payload))
    return fail(errc::invalid_argument, "payload is not valid UTF-8");
  if (req.interval_ms < 0)
    return fail(errc::invalid_argument, "negative repeat interval");
  if (req.interval_ms > max_deadline_ms)
    return fail(errc::invalid_argument, "repeat interval too large");
  if (req.misfire > misfire_policy::skip)
    return fail(errc::invalid_argument, "unknown misfire policy");
  if (req.misfire != misfire_policy::once && req.interval_ms == 0 && req.cron.empty())
    return fail(errc::invalid_argument,
                "a misfire policy needs a repeat interval or a calendar schedule");
  if (!req.cron.empty() && req.interval_ms != 0)
    return fail(errc::invalid_argument,
                "a timeout repeats by interval or by calendar schedule, not both");
  if (req.cron.empty() && !req.tz.empty())
    return fail(errc::invalid_argument, "a time zone needs a calendar schedule (cron)");
  if (req.jitter_ms < 0)
    return fail(errc::invalid_argument, "negative jitter");
  if (req.jitter_ms > max_jitter.count())
    return fail(errc::invalid_argument, "jitter longer than 30 days");
  if (req.key.size() > limits_.max_name_bytes)
    return fail(errc::invalid_argument,
                "key longer than " + std::to_string(limits_.max_name_bytes) + " bytes");
  if (!valid_utf8(req.key))
    return fail(errc::invalid_argument, "key is not valid UTF-8");
  if (auto at = find_control_character(req.key))
    return fail(errc::invalid_argument,
                "key holds a control character at byte " + std::to_string(*at));
  return done{};
}

status server_state::check_room(std::size_t timeouts, std::size_t payload) const {
  if (pending_.size() + parked_.size() + timeouts > limits_.max_timeouts)
    return fail(errc::limit_exceeded, "server holds its maximum of "
                                        + std::to_string(limits_.max_timeouts) + " timeouts");
  if (pending_.payload_bytes() + parked_.payload_bytes() + payload > limits_.max_payload_total)
    return fail(errc::limit_exceeded, "server holds its maximum of "
                                        + std::to_string(limits_.max_payload_total)
                                        + " payload bytes");
  return done{};
}

outcome<timestamp> server_state::resolve(when_spec when, timestamp now) const {
  if (when.ms < 0)
    return fail(errc::invalid_argument,
                when.relative ? "negative delay" : "deadline before 1970-01-01");
  const std::int64_t base = when.relative ? to_epoch_ms(now) : 0;
  if (when.ms > max_deadline_ms - base)
    return fail(errc::invalid_argument, "deadline after 9999-12-31");
  return from_epoch_ms(base + when.ms);
}

outcome<token> server_state::schedule(const schedule_request& req, timestamp now) {
  // Made first, so that its index bucket is fetched while the request is
  // checked: one request at a time, nothing else would overlap that miss.
  const auto tok = tokens_.next(now);
  pending_.expect(tok);
  if (auto ok = check(req); !ok)
    return ok.error();
  if (auto room = check_room(1, req.payload.size()); !room)
    return room.error();
  auto first = first_occurrence(req, now);
  if (!first)
    return first.error();
  return add(req, *first, now, tok);
}

outcome<server_state::occurrence> server_state::first_occurrence(const schedule_request& req,
                                                                timestamp now) const {
  auto start = resolve(req.when, now);
  if (!start)
    return start.error();
  if (req.cron.empty())
    return occurrence{*start, nullptr};
  auto calendar = cron_schedule::parse(req.cron, req.tz);
  if (!calendar)
    return fail(calendar.error().code, "cron: " + calendar.error().detail);
  // At or after the start, and never in the past.
  const auto deadline = calendar->next_after(std::max(*start, now) - millis{1});
  if (!deadline)
    return fail(errc::invalid_argument, "'" + req.cron + "' names no instant from the start "
                                          "until 9999-12-31");
  return occurrence{*deadline, std::make_shared<const cron_schedule>(std::move(*calendar))};
}

token server_state::add(const schedule_request& req, occurrence first, timestamp now, token tok) {
  const auto held = [this](token t) { return known(t); };
  if (!req.key.empty())
    if (auto made = keys_.find(req.name, req.key, held))
      return *made; // made before: nothing changes
  const millis jitter{req.jitter_ms};
  timeout_view entry{first.deadline, tok,         req.name, req.payload, millis{req.interval_ms},
                     req.misfire,    req.key, std::move(first.calendar),
                     jitter,         delay_for(jitter, first.deadline)};
  // 64 random bits make a collision all but impossible; retry rather than
  // overwrite (the pending table refuses a token it holds).
  while (parked_.contains(entry.token) || !pending_.insert_copy(entry))
    entry.token = tokens_.next(now);
  if (!req.key.empty())
    keys_.add(req.name, req.key, entry.token, held);
  if (recording_)
    note({change::op::schedule, entry.token, entry.owned(), {}, {}});
  ++counters_.scheduled;
  return entry.token;
}

outcome<std::vector<token>> server_state::schedule_all(const std::vector<schedule_request>& reqs,
                                                       timestamp now) {
  if (reqs.size() > limits_.max_batch)
    return fail(errc::limit_exceeded, "a batch holds at most "
                                        + std::to_string(limits_.max_batch) + " requests");
  std::size_t batch_payload = 0;
  for (const auto& req : reqs)
    batch_payload += req.payload.size();
  if (auto room = check_room(reqs.size(), batch_payload); !room)
    return room.error();
  // All checked before any is added: a batch is scheduled whole or not at all.
  std::vector<occurrence> firsts;
  firsts.reserve(reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    auto ok = check(reqs[i]);
    auto first = ok ? first_occurrence(reqs[i], now) : outcome<occurrence>{ok.error()};
    if (!first)
      return fail(first.error().code,
                  "request " + std::to_string(i) + ": " + first.error().detail);
    firsts.push_back(std::move(*first));
  }
  // Made up front, so that each new token's index bucket is fetched ahead.
  std::vector<token> tokens(reqs.size());
  for (auto& tok : tokens)
    tok = tokens_.next(now);
  const auto token_at = [&tokens](std::size_t i) { return tokens[i]; };
  pending_.for_each_ahead(tokens.size(), token_at, batch_use::insert, [&](std::size_t i) {
    tokens[i] = add(reqs[i], std::move(firsts[i]), now, tokens[i]);
    return true;
  });
  return tokens;
}

bool server_state::known(token tok) const { return pending_.contains(tok) || parked_.contains(tok); }

std::optional<token> server_state::find_token(std::string_view text) const {
  auto tok = token::parse(text);
  if (tok && known(*tok))
    return tok;
  return std::nullopt;
}

status server_state::cancel(std::string_view token_text) {
  // One lookup: removing is how an unknown token is found out.
  auto tok = token::parse(token_text);
  if (!tok || !remove(*tok))
    return fail(errc::unknown_token, "unknown token '" + std::string{token_text} + "'");
  return done{};
}

status server_state::cancel_each(const std::vector<std::string>& token_texts) {
  return cancel_texts(token_texts.size(),
                      [&token_texts](std::size_t i) { return std::string_view{token_texts[i]}; });
}

status server_state::cancel_each(const token_list& tokens) {
  if (!tokens.whole())
    return fail(errc::invalid_argument, "a token list must hold whole tokens of "
                                          + std::to_string(token_list::width) + " characters");
  return cancel_texts(tokens.size(), [&tokens](std::size_t i) { return tokens[i]; });
}

template <class TextAt>
status server_state::cancel_texts(std::size_t n, TextAt text_at) {
  if (n > limits_.max_batch)
    return fail(errc::limit_exceeded, "a batch holds at most "
                                        + std::to_string(limits_.max_batch) + " requests");
  std::vector<token> found;
  found.reserve(n);
  // The texts of a vector lie wherever the client's allocator put them (a
  // text may straddle two cache lines): fetch ahead.
  constexpr std::size_t text_ahead = 8;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + text_ahead < n) {
      const auto ahead = text_at(i + text_ahead);
      detail::prefetch(ahead.data());
      detail::prefetch(ahead.data() + ahead.size());
    }
    auto tok = token::parse(text_at(i));
    if (!tok)
      break;
    found.push_back(*tok);
  }
  // The first token, in request order, that is not known (or not a token).
  const auto token_at = [&found](std::size_t i) { return found[i]; };
  std::vector<places> at(found.size());
  const auto look_up = [&](std::size_t i) {
    at[i] = locate(found[i]);
    return at[i].pending || at[i].parked;
  };
  const auto unknown = pending_.for_each_ahead(found.size(), token_at, batch_use::find, look_up);
  if (unknown < n)
    return fail(errc::unknown_token, "request " + std::to_string(unknown) + ": unknown token '"
                                       + std::string{text_at(unknown)} + "'");
  // The first repeat, in request order, is the one named.
  detail::distinct_tokens seen{token_at, found.size()};
  for (std::size_t i = 0; i < found.size(); ++i)
    if (!seen.admit(i))
      return fail(errc::invalid_argument, "request " + std::to_string(i) + ": token '"
                                            + std::string{text_at(i)} + "' given twice");
  // Removing moves no other timeout; packing waits for the end.
  pending_.for_each_ahead(found.size(), token_at, batch_use::remove, [&](std::size_t i) {
    remove(found[i], at[i]);
    return true;
  });
  pending_.shrink_if_sparse();
  parked_.shrink_if_sparse();
  return done{};
}

outcome<std::uint64_t> server_state::cancel_all(const std::string& selector) {
  if (selector.empty())
    return fail(errc::invalid_argument, "cancelling by name needs a name or a namespace");
  if (auto ok = check_selector(selector, limits_); !ok)
    return ok.error();
  std::uint64_t removed = 0;
  for (const auto& name : names_covered(selector)) {
    // A recurring timeout may be pending and parked at once: one timeout.
    for (auto& t : pending_.take(name)) {
      auto was_parked = parked_.erase(t.token);
      note({change::op::cancel, t.token, {}, {}, before(std::move(t), std::move(was_parked))});
      ++removed;
    }
    for (auto& t : parked_.take(name)) {
      note({change::op::cancel, t.token, {}, {}, before(std::nullopt, std::move(t))});
      ++removed;
    }
  }
  counters_.cancelled += removed;
  return removed;
}

server_state::places server_state::locate(token tok) const {
  return {pending_.locate(tok), parked_.locate(tok)};
}

bool server_state::remove(token tok) {
  const auto at = locate(tok);
  if (!at.pending && !at.parked)
    return false;
  remove(tok, at);
  pending_.shrink_if_sparse();
  parked_.shrink_if_sparse();
  return true;
}

void server_state::remove(token tok, places at) {
  ++counters_.cancelled;
  if (!recording_) { // no undo data to keep: nothing copied out
    if (at.pending)
      pending_.discard(*at.pending);
    if (at.parked)
      parked_.discard(*at.parked);
    return;
  }
  std::optional<timeout> was_pending, was_parked;
  if (at.pending)
    was_pending = pending_.erase(*at.pending);
  if (at.parked)
    was_parked = parked_.erase(*at.parked);
  note({change::op::cancel, tok, {}, {}, before(std::move(was_pending), std::move(was_parked))});
}

std::vector<std::string> server_state::names_covered(const std::string& selector) const {
  if (!selector.empty() && !is_namespace(selector))
    return {selector};
  std::vector<std::string> names;
  const auto pick = [&](const std::string& name, std::size_t) {
    if (covers(selector, name))
      names.push_back(name);
  };
  pending_.for_each_name(pick);
  parked_.for_each_name(pick);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

status server_state::reschedule(std::string_view token_text, when_spec when, timestamp now) {
  auto tok = find_token(token_text);
  if (!tok)
    return fail(errc::unknown_token, "unknown token '" + std::string{token_text} + "'");
  auto deadline = resolve(when, now);
  if (!deadline)
    return deadline.error();
  const auto jitter = pending_.contains(*tok) ? pending_.jitter_of(*tok) : parked_.jitter_of(*tok);
  const auto delay = delay_for(jitter, *deadline);
  if (recording_) {
    auto pending = pending_.find(*tok);
    auto parked = pending ? std::nullopt : parked_.find(*tok);
    note({change::op::reschedule, *tok, {}, *deadline,
          before(std::move(pending), std::move(parked)), delay});
  }
  move_to_pending(*tok, *deadline, delay);
  return done{};
}

// A pending timeout moves; a parked one-shot moves back to pending.
bool server_state::move_to_pending(token tok, timestamp deadline, millis delay) {
  if (pending_.reschedule(tok, deadline, delay))
    return true;
  auto parked = parked_.erase(tok);
  if (!parked)
    return false;
  parked->deadline = deadline;
  parked->delay = delay;
  pending_.insert(std::move(*parked));
  return true;
}

// Never past the latest deadline chronos keeps.
millis server_state::delay_for(millis jitter, timestamp deadline) {
  if (jitter.count() == 0)
    return millis{0};
  return std::min(tokens_.delay_below(jitter), from_epoch_ms(max_deadline_ms) - deadline);
}

std::vector<timeout> server_state::take_due(timestamp now, std::size_t limit) {
  std::vector<timeout> out;
  take_due(now, limit, [&out](timeout& t) { out.push_back(std::move(t)); });
  return out;
}

void server_state::take_due(timestamp now, std::size_t limit, const occurrence_visitor& f) {
  const auto hand_out = [&](timeout& occurrence) {
    ++counters_.fired;
    f(occurrence);
  };
  // Back in the table once the due ones are out: a table does not change
  // while it hands them over.
  std::vector<timeout> rearmed;
  pending_.pop_due(now, limit, [&](timeout& t) {
    if (!t.recurring()) {
      note({change::op::fire, t.token, {}, {}, {}});
      hand_out(t);
      return;
    }
    const auto next_deadline = next_occurrence(t, now);
    if (!next_deadline) { // its calendar has ended: a last occurrence
      note({change::op::fire, t.token, {}, {}, {}});
      hand_out(t);
      return;
    }
    timeout next = t;
    next.prev = t.deadline;
    next.deadline = *next_deadline;
    next.delay = delay_for(next.jitter, next.deadline);
    note({change::op::rearm, t.token, {}, next.deadline, {}, next.delay});
    catch_up(t, next.deadline, hand_out);
    rearmed.push_back(std::move(next));
  });
  for (auto& next : rearmed)
    pending_.insert(std::move(next));
}

// The occurrences of `t` due from its deadline until `until` (exclusive), as
// its misfire policy wants them, each handed to `f`. Late by less than a
// period is one occurrence, delivered under every policy.
void server_state::catch_up(const timeout& t, timestamp until, const occurrence_visitor& f) {
  const auto occur = [&](timestamp at) {
    timeout occurrence = t;
    occurrence.deadline = at;
    f(occurrence);
  };
  const auto missed = missed_after(t, until);
  if (missed == 0) {
    occur(t.deadline);
    return;
  }
  switch (t.misfire) {
    case misfire_policy::once:
      occur(t.deadline);
      counters_.skipped += missed;
      break;
    case misfire_policy::skip:
      counters_.skipped += missed + 1;
      break;
    case misfire_policy::all: {
      const auto latest = latest_occurrences(t, until, missed, limits_.max_catch_up);
      counters_.skipped += missed + 1 - latest.size();
      for (const auto at : latest)
        occur(at);
      break;
    }
  }
}

bool server_state::park(timeout occurrence) {
  const bool skip = occurrence.misfire == misfire_policy::skip;
  if (skip || parked_.contains(occurrence.token)) {
    // An `all` timeout's parked occurrence stands for the later ones too.
    if (occurrence.misfire != misfire_policy::all)
      ++counters_.skipped;
    return false;
  }
  if (recording_) {
    occurrence.key = keys_.key_of(occurrence.token);
    note({change::op::park, occurrence.token, occurrence, {}, {}});
  }
  return parked_.insert(std::move(occurrence));
}

bool server_state::finish_delivery(token tok, std::int64_t deadline_ms) {
  auto waiting = parked_.deadline_of(tok);
  if (!waiting || to_epoch_ms(*waiting) != deadline_ms)
    return false;
  parked_.erase(tok);
  note({change::op::deliver, tok, {}, {}, {}});
  return true;
}

std::vector<timeout> server_state::take_parked(const std::string& name) {
  std::vector<timeout> out;
  for (auto& t : parked_.take(name)) {
    note({change::op::deliver, t.token, {}, {}, {}});
    auto pending = t.misfire == misfire_policy::all ? pending_.deadline_of(t.token)
                                                    : std::nullopt;
    if (pending && *pending > t.deadline)
      catch_up(t, *pending, [&out](timeout& o) { out.push_back(std::move(o)); });
    else
      out.push_back(std::move(t));
  }
  // Expanded occurrences of several timeouts interleave: deadline order again.
  std::stable_sort(out.begin(), out.end(), [](const timeout& a, const timeout& b) {
    return std::tie(a.deadline, a.token) < std::tie(b.deadline, b.token);
  });
  return out;
}

status server_state::apply(change c) {
  bool fits = false;
  // A delay is a draw below its timeout's jitter.
  const auto jitter = std::max(pending_.jitter_of(c.token), parked_.jitter_of(c.token));
  if (c.delay.count() > 0 && c.delay >= jitter)
    return fail(errc::storage_failure, std::string{to_string(c.what)} + " of token "
                                         + c.token.str() + ": a delay beyond its jitter");
  switch (c.what) {
    case change::op::schedule:
      if (auto ok = check_stored(c.entry); !ok)
        return ok;
      fits = insert_keyed(pending_, std::move(c.entry));
      break;
    case change::op::cancel: {
      const bool was_pending = pending_.erase(c.token).has_value();
      const bool was_parked = parked_.erase(c.token).has_value();
      fits = was_pending || was_parked;
      break;
    }
    case change::op::reschedule:
      fits = move_to_pending(c.token, c.deadline, c.delay);
      break;
    case change::op::fire:
      fits = pending_.erase(c.token).has_value();
      break;
    case change::op::rearm:
      fits = pending_.rearm(c.token, c.deadline, c.delay);
      break;
    case change::op::park:
      if (auto ok = check_stored(c.entry); !ok)
        return ok;
      fits = insert_keyed(parked_, std::move(c.entry));
      break;
    case change::op::deliver:
      fits = parked_.erase(c.token).has_value();
      break;
  }
  if (!fits)
    return fail(errc::storage_failure, std::string{to_string(c.what)} + " of token "
                                         + c.token.str() + " does not fit the state");
  return done{};
}

void server_state::undo(const change& c) {
  switch (c.what) {
    case change::op::schedule:
      pending_.erase(c.token);
      --counters_.scheduled;
      break;
    case change::op::cancel:
      --counters_.cancelled;
      [[fallthrough]];
    case change::op::reschedule:
      pending_.erase(c.token);
      if (c.was && c.was->pending)
        insert_keyed(pending_, timeout{*c.was->pending});
      if (c.was && c.was->parked)
        insert_keyed(parked_, timeout{*c.was->parked});
      break;
    default: // what the server did by itself is never taken back
      break;
  }
}

timeout_list server_state::list(const std::string& selector) const {
  const auto names = selector.empty() ? std::vector<std::string>{} : names_covered(selector);
  const auto parked = selector.empty() ? parked_.entries() : parked_.entries(names);
  const auto selected = selector.empty() ? std::vector<timeout>{} : pending_.entries(names);
  timeout_list out;
  out.reserve((selector.empty() ? pending_.size() : selected.size()) + parked.size());
  // Merge the two ordered lists; on a tie the parked (older) occurrence first.
  // Everything pending is walked, not copied: at a million, a list fewer.
  auto q = parked.begin();
  const auto take_pending = [&](const timeout& p) {
    for (; q != parked.end() && std::tie(q->deadline, q->token) <= std::tie(p.deadline, p.token); ++q)
      out.push_back(info_of(*q, snapshot_list::parked));
    out.push_back(info_of(p, snapshot_list::pending));
  };
  if (selector.empty())
    pending_.for_each_in_order(take_pending);
  else
    for (const auto& p : selected)
      take_pending(p);
  for (; q != parked.end(); ++q)
    out.push_back(info_of(*q, snapshot_list::parked));
  return out;
}

status server_state::check_list(const std::string& selector) const {
  const auto n = count(selector);
  const auto total = n.pending + n.parked;
  if (total > limits_.max_list)
    return fail(errc::limit_exceeded, std::to_string(total) + " timeouts match, more than the "
                                        + std::to_string(limits_.max_list)
                                        + " a list returns: list a name or a namespace, or count");
  return done{};
}

timeout_count server_state::count(const std::string& selector) const {
  if (selector.empty())
    return {pending_.size(), parked_.size()};
  timeout_count n;
  for (const auto& name : names_covered(selector)) {
    n.pending += pending_.count(name);
    n.parked += parked_.count(name);
  }
  return n;
}

std::vector<namespace_info> server_state::namespaces(const std::string& selector) const {
  std::map<std::string_view, namespace_info> by_namespace;
  std::unordered_set<std::string_view> named; // names counted once, pending or parked
  const auto add = [&](const std::string& name, std::size_t n, std::uint64_t namespace_info::*gauge) {
    if (!covers(selector, name))
      return;
    auto& info = by_namespace[namespace_of(name)];
    info.*gauge += n;
    if (named.insert(name).second)
      ++info.names;
  };
  pending_.for_each_name([&](const std::string& name, std::size_t n) {
    add(name, n, &namespace_info::pending);
  });
  parked_.for_each_name([&](const std::string& name, std::size_t n) {
    add(name, n, &namespace_info::parked);
  });
  std::vector<namespace_info> out;
  out.reserve(by_namespace.size());
  for (auto& [name, info] : by_namespace) {
    info.name = std::string{name};
    out.push_back(std::move(info));
  }
  return out;
}

void server_state::record_delivery(std::chrono::microseconds lateness, delivery_kind kind) {
  ++counters_.delivered;
  if (kind != delivery_kind::at_deadline)
    return;
  const std::int64_t us = std::max<std::int64_t>(0, lateness.count());
  ++counters_.lateness_count;
  counters_.lateness_sum_us += us;
  counters_.lateness_max_us = std::max(counters_.lateness_max_us, us);
  auto& buckets = counters_.lateness_buckets;
  buckets.resize(std::size(lateness_bounds_us) + 1);
  const auto bucket = std::lower_bound(std::begin(lateness_bounds_us),
                                       std::end(lateness_bounds_us), us)
                      - std::begin(lateness_bounds_us);
  ++buckets[static_cast<std::size_t>(bucket)];
}

stats_info server_state::stats() const {
  stats_info s = counters_;
  s.pending = pending_.size();
  s.parked = parked_.size();
  s.lateness_mean_us = s.lateness_count == 0
                         ? 0
                         : s.lateness_sum_us / static_cast<std::int64_t>(s.lateness_count);
  s.lateness_buckets.resize(std::size(lateness_bounds_us) + 1);
  return s;
}

} // namespace chronos
