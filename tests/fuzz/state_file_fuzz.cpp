// The state file reader: any bytes are either refused with an error or read
// into a snapshot; a snapshot read from any bytes encodes and reads back to
// itself; and the fast reader, when it accepts the bytes, agrees with the
// general one.

#include <string_view>

#include "canonical_state_reader.hpp"
#include "chronos/state_file.hpp"
#include "state_reader.hpp"
#include "check.hpp"

using namespace chronos;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  auto general = detail::read_snapshot(text);
  if (auto fast = detail::read_canonical_snapshot(text)) {
    check(static_cast<bool>(general));
    check(*fast == *general);
  }
  if (!general) {
    check(!general.error().detail.empty());
    return 0;
  }
  auto again = encode(*general);
  check(static_cast<bool>(again));
  auto back = decode(*again);
  check(static_cast<bool>(back));
  check(*back == *general);
  return 0;
}
