#include "chronos/store/durability.hpp"

namespace chronos {

std::optional<durability> parse_durability(std::string_view text) {
  for (auto d : {durability::always, durability::interval, durability::shutdown})
    if (text == to_string(d))
      return d;
  return std::nullopt;
}

const char* to_string(durability d) {
  switch (d) {
    case durability::always:
      return "always";
    case durability::interval:
      return "interval";
    case durability::shutdown:
      return "shutdown";
  }
  return "?";
}

} // namespace chronos
