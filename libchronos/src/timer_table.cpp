#include "chronos/timer_table.hpp"

namespace chronos {

void timer_table::index(const timeout& t) {
  by_token_.emplace(t.token, t.deadline);
  by_name_[t.name].emplace(t.deadline, t.token);
}

timeout timer_table::unlink(std::map<key, timeout>::iterator it) {
  timeout t = std::move(it->second);
  ordered_.erase(it);
  by_token_.erase(t.token);
  auto names = by_name_.find(t.name);
  names->second.erase({t.deadline, t.token});
  if (names->second.empty())
    by_name_.erase(names);
  return t;
}

bool timer_table::insert(timeout t) {
  if (contains(t.token))
    return false;
  index(t);
  key k{t.deadline, t.token};
  ordered_.emplace(k, std::move(t));
  return true;
}

std::optional<timeout> timer_table::erase(token tok) {
  auto found = by_token_.find(tok);
  if (found == by_token_.end())
    return std::nullopt;
  return unlink(ordered_.find({found->second, tok}));
}

const timeout* timer_table::find(token tok) const {
  auto found = by_token_.find(tok);
  if (found == by_token_.end())
    return nullptr;
  return &ordered_.find({found->second, tok})->second;
}

bool timer_table::reschedule(token tok, timestamp deadline) {
  auto t = erase(tok);
  if (!t)
    return false;
  t->deadline = deadline;
  insert(std::move(*t));
  return true;
}

std::vector<timeout> timer_table::pop_due(timestamp now) {
  std::vector<timeout> due;
  while (!ordered_.empty() && ordered_.begin()->first.first <= now)
    due.push_back(unlink(ordered_.begin()));
  return due;
}

std::vector<timeout> timer_table::take(const std::string& name) {
  std::vector<timeout> taken;
  auto names = by_name_.find(name);
  if (names == by_name_.end())
    return taken;
  // unlink() erases the name's set once it is empty: copy the keys first.
  std::vector<key> keys(names->second.begin(), names->second.end());
  taken.reserve(keys.size());
  for (const auto& k : keys)
    taken.push_back(unlink(ordered_.find(k)));
  return taken;
}

std::optional<timestamp> timer_table::next_deadline() const {
  if (ordered_.empty())
    return std::nullopt;
  return ordered_.begin()->first.first;
}

std::vector<timeout> timer_table::entries() const {
  std::vector<timeout> all;
  all.reserve(ordered_.size());
  for (const auto& kv : ordered_)
    all.push_back(kv.second);
  return all;
}

std::vector<timeout> timer_table::entries(const std::string& name) const {
  std::vector<timeout> some;
  auto names = by_name_.find(name);
  if (names == by_name_.end())
    return some;
  some.reserve(names->second.size());
  for (const auto& k : names->second)
    some.push_back(ordered_.find(k)->second);
  return some;
}

} // namespace chronos
