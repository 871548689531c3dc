#include "server/name_directory.hpp"

#include <algorithm>

namespace chronos::detail {

outcome<bool> name_directory::bind(const std::string& name, const caf::actor& who) {
  auto it = bindings_.find(name);
  if (it != bindings_.end()) {
    if (it->second.group)
      return fail(errc::name_in_use, "name '" + name + "' is a group; join it instead");
    if (it->second.members.front() != who)
      return fail(errc::name_in_use, "name '" + name + "' is in use by another live actor");
    return false; // the same actor again
  }
  bindings_[name].members.push_back(who);
  return add_name(who, name);
}

outcome<bool> name_directory::join(const std::string& name, const caf::actor& member, millis ack) {
  auto it = bindings_.find(name);
  if (it == bindings_.end()) {
    it = bindings_.emplace(name, binding{{}, true, ack, 0}).first;
  } else if (!it->second.group) {
    return fail(errc::name_in_use, "name '" + name + "' is registered by one actor, not a group");
  } else if (it->second.ack != ack) {
    return fail(errc::invalid_argument,
                "group '" + name + "' expects acknowledgements within "
                  + std::to_string(it->second.ack.count()) + " ms, not "
                  + std::to_string(ack.count()));
  }
  auto& members = it->second.members;
  if (std::find(members.begin(), members.end(), member) != members.end())
    return false;
  members.push_back(member);
  return add_name(member, name);
}

outcome<std::vector<caf::actor>> name_directory::leave(const std::string& name,
                                                       const caf::actor& member) {
  auto it = bindings_.find(name);
  if (it == bindings_.end() || !it->second.group)
    return fail(errc::unknown_name, "no group '" + name + "'");
  auto& members = it->second.members;
  auto m = std::find(members.begin(), members.end(), member);
  if (m == members.end())
    return fail(errc::unknown_name, "that actor is not a member of group '" + name + "'");
  members.erase(m);
  if (members.empty())
    bindings_.erase(it);
  std::vector<caf::actor> idle;
  if (drop_name(member.address(), name))
    idle.push_back(member);
  return idle;
}

outcome<std::vector<caf::actor>> name_directory::unbind(const std::string& name) {
  auto it = bindings_.find(name);
  if (it == bindings_.end())
    return fail(errc::unknown_name, "name '" + name + "' is not registered");
  std::vector<caf::actor> idle;
  for (const auto& who : it->second.members)
    if (drop_name(who.address(), name))
      idle.push_back(who);
  bindings_.erase(it);
  return idle;
}

std::vector<std::string> name_directory::forget(const caf::actor_addr& who) {
  auto held = names_of_.find(who);
  if (held == names_of_.end())
    return {};
  std::vector<std::string> names{held->second.begin(), held->second.end()};
  names_of_.erase(held);
  for (const auto& name : names) {
    auto it = bindings_.find(name);
    auto& members = it->second.members;
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [&](const caf::actor& m) { return m.address() == who; }),
                  members.end());
    if (members.empty())
      bindings_.erase(it);
  }
  return names;
}

std::optional<name_directory::target> name_directory::next(const std::string& name,
                                                           const caf::actor_addr& not_to) {
  auto it = bindings_.find(name);
  if (it == bindings_.end())
    return std::nullopt;
  auto& b = it->second;
  auto pick = b.members[b.turn++ % b.members.size()];
  if (b.members.size() > 1 && pick.address() == not_to)
    pick = b.members[b.turn++ % b.members.size()];
  return target{pick, b.ack};
}

std::size_t name_directory::nodes() const {
  std::set<caf::node_id> seen;
  for (const auto& [who, names] : names_of_)
    seen.insert(who.node());
  return seen.size();
}

bool name_directory::add_name(const caf::actor& who, const std::string& name) {
  auto& names = names_of_[who.address()];
  names.insert(name);
  return names.size() == 1;
}

bool name_directory::drop_name(const caf::actor_addr& who, const std::string& name) {
  auto held = names_of_.find(who);
  if (held == names_of_.end())
    return false;
  held->second.erase(name);
  if (!held->second.empty())
    return false;
  names_of_.erase(held);
  return true;
}

} // namespace chronos::detail
