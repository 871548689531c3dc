#include "chronos/table/misfire.hpp"

namespace chronos {

const char* to_string(misfire_policy p) noexcept {
  switch (p) {
    case misfire_policy::once:
      return "once";
    case misfire_policy::all:
      return "all";
    case misfire_policy::skip:
      return "skip";
  }
  return "?";
}

std::optional<misfire_policy> parse_misfire(std::string_view text) noexcept {
  for (auto p : {misfire_policy::once, misfire_policy::all, misfire_policy::skip})
    if (text == to_string(p))
      return p;
  return std::nullopt;
}

} // namespace chronos
