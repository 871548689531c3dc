#include "chronos/table/change.hpp"

#include <array>
#include <string_view>

namespace chronos {

namespace {

constexpr std::array<std::pair<change::op, std::string_view>, 7> names{{
  {change::op::schedule, "schedule"},
  {change::op::cancel, "cancel"},
  {change::op::reschedule, "reschedule"},
  {change::op::fire, "fire"},
  {change::op::rearm, "rearm"},
  {change::op::park, "park"},
  {change::op::deliver, "deliver"},
}};

} // namespace

const char* to_string(change::op what) noexcept {
  for (const auto& [op, name] : names)
    if (op == what)
      return name.data();
  return "?";
}

std::optional<change::op> parse_op(std::string_view text) noexcept {
  for (const auto& [op, name] : names)
    if (name == text)
      return op;
  return std::nullopt;
}

} // namespace chronos
