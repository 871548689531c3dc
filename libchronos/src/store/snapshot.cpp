#include "chronos/store/snapshot.hpp"

namespace chronos {

status restore(snapshot s, snapshot_sink& into) {
  into.begin(s.saved_at, s.generation, s.pending.size() + s.parked.size());
  for (auto* list : {&s.pending, &s.parked})
    for (auto& t : *list)
      if (auto ok = into.add(std::move(t), list == &s.parked ? snapshot_list::parked : snapshot_list::pending); !ok)
        return ok;
  return done{};
}

snapshot snapshot_source::collect(timestamp saved_at, std::uint64_t generation) const {
  snapshot s;
  s.saved_at = saved_at;
  s.generation = generation;
  for_each(snapshot_list::pending, [&](const timeout& t) { s.pending.push_back(t); });
  for_each(snapshot_list::parked, [&](const timeout& t) { s.parked.push_back(t); });
  return s;
}

} // namespace chronos
