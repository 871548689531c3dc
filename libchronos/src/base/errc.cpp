#include "chronos/base/errc.hpp"

namespace chronos {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return "invalid argument";
    case errc::unknown_token:
      return "unknown token";
    case errc::name_in_use:
      return "name in use";
    case errc::unknown_name:
      return "unknown name";
    case errc::storage_failure:
      return "storage failure";
    case errc::limit_exceeded:
      return "limit exceeded";
    case errc::unavailable:
      return "unavailable";
    case errc::overloaded:
      return "overloaded";
    case errc::standby:
      return "standby";
  }
  return "unknown error";
}

} // namespace chronos
