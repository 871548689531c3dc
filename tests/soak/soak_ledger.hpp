#pragma once

// What the soak run knows about every token it was given: the fate each one
// must meet by the end (delivered, or cancelled), and the breaches it saw.
// Shared by the worker threads and the receiving actors: every call locks.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace chronos::soak {

class ledger {
public:
  struct counts {
    std::uint64_t sessions = 0;
    std::uint64_t scheduled = 0, cancelled = 0, rescheduled = 0, refused = 0;
    std::uint64_t deliveries = 0, duplicates = 0, recurring_deliveries = 0;
    /// Group deliveries that crossed an acknowledged cancel: the occurrence
    /// was already out, awaiting its acknowledgement, which the cancel ended.
    std::uint64_t crossed_cancels = 0;
    /// Deliveries of schedules whose reply never came (chronosd was killed
    /// after the journal write, or the reply timed out): they may exist.
    std::uint64_t unacknowledged_deliveries = 0;
    /// One-shot tokens still owed a delivery.
    std::uint64_t owed = 0;
    /// Registered names' one-shots due shortly before chronosd was killed and
    /// never seen: handed to CAF but not yet on the wire when it died, the one
    /// loss a registered name accepts across a crash (protocol.md).
    std::uint64_t lost_in_crash = 0;
    /// Recurring timeouts not yet cancelled.
    std::uint64_t recurring_open = 0;
    std::uint64_t breach_count = 0;
    std::vector<std::string> breaches; // the first few, for the report
    /// The first few owed tokens, with what tells why: kind and due time.
    std::vector<std::string> owed_detail;
  };

  /// chronosd was killed at `ms` (epoch ms).
  void killed_at(std::int64_t ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    killed_ms_ = ms;
  }

  void session_started() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.sessions;
  }

  /// `group`: the name is a consumer group with acknowledgements; `due_ms`:
  /// epoch ms.
  void scheduled(const std::string& token, bool recurring, bool group, std::int64_t due_ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.scheduled;
    auto& t = tokens_[token];
    t.recurring = recurring;
    t.group = group;
    t.acknowledged = true;
    t.due_ms = due_ms;
    if (!recurring && !t.delivered)
      live_.push_back(token);
  }

  /// chronosd's confirmation of the cancel arrived at `acked_ms` (epoch ms):
  /// the token must not be delivered from then on.
  void cancelled(const std::string& token, std::int64_t acked_ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.cancelled;
    auto& t = tokens_[token];
    t.cancelled = true;
    t.cancel_acked_ms = acked_ms;
  }

  /// A cancel whose outcome is unknown (chronosd died with it in flight):
  /// either a delivery or none is right.
  void maybe_cancelled(const std::string& token) {
    std::lock_guard<std::mutex> guard{mtx_};
    tokens_[token].maybe_cancelled = true;
  }

  void rescheduled(const std::string& token, std::int64_t due_ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.rescheduled;
    tokens_[token].due_ms = due_ms;
  }

  /// A request chronosd did not acknowledge (down, restarting): nothing to track.
  void refused() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.refused;
  }

  void delivered(const std::string& token, std::int64_t deadline_ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++counts_.deliveries;
    auto& t = tokens_[token]; // a delivery may overtake the schedule's reply
    if (t.recurring) {
      ++counts_.recurring_deliveries;
      t.delivered = true;
      return;
    }
    // A registered name's occurrence is gone once delivered, so a cancel that
    // succeeded came first. A group's waits for its acknowledgement and can
    // still be cancelled, so one delivered before chronosd took the cancel
    // crossed it. Never early, so that needs a deadline no later than the
    // confirmation's arrival; the cancel may have been sent before it was due.
    if (t.cancelled && t.group && deadline_ms <= t.cancel_acked_ms)
      ++counts_.crossed_cancels;
    else if (t.cancelled)
      breach("a delivery after its cancel was acknowledged: " + token);
    if (t.delivered)
      ++counts_.duplicates; // at-least-once: allowed after a crash
    t.delivered = true;
  }

  /// A one-shot token still pending as far as the ledger knows, at random; "" if none.
  std::string any_live(std::mt19937_64& rng) {
    std::lock_guard<std::mutex> guard{mtx_};
    while (!live_.empty()) {
      const auto i = rng() % live_.size();
      std::swap(live_[i], live_.back());
      const auto& t = tokens_[live_.back()];
      if (!t.delivered && !t.cancelled && !t.maybe_cancelled)
        return live_.back();
      live_.pop_back(); // settled: forget it here, keep it in tokens_
    }
    return "";
  }

  counts snapshot() const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto c = counts_;
    for (const auto& [token, t] : tokens_) {
      c.unacknowledged_deliveries += !t.acknowledged;
      if (t.recurring)
        c.recurring_open += !t.cancelled;
      else if (t.delivered || t.cancelled || t.maybe_cancelled)
        continue;
      else if (in_crash_window(t))
        ++c.lost_in_crash;
      else if (++c.owed <= 10)
        c.owed_detail.push_back(token + (t.group ? " (group" : " (registered") + ", due at "
                                + std::to_string(t.due_ms) + " ms since the epoch)");
    }
    return c;
  }

private:
  struct fate {
    bool recurring = false;
    bool group = false;
    bool acknowledged = false;
    bool delivered = false;
    bool cancelled = false;
    bool maybe_cancelled = false;
    std::int64_t cancel_acked_ms = 0;
    std::int64_t due_ms = 0;
  };

  /// How long before the kill a registered delivery may have been in CAF's
  /// hands (generous: sanitizer builds are several times slower).
  static constexpr std::int64_t crash_window_ms = 2000;

  bool in_crash_window(const fate& t) const {
    return !t.group && killed_ms_ > 0 && t.due_ms <= killed_ms_
           && t.due_ms > killed_ms_ - crash_window_ms;
  }

  void breach(std::string what) {
    ++counts_.breach_count;
    if (counts_.breaches.size() < 20)
      counts_.breaches.push_back(std::move(what));
  }

  std::int64_t killed_ms_ = 0;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, fate> tokens_;
  /// Candidates for cancel and reschedule; settled ones are dropped lazily.
  std::vector<std::string> live_;
  counts counts_;
};

} // namespace chronos::soak
