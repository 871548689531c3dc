// The state file reader: any bytes are either refused with an error or read
// into a snapshot; a snapshot read from any bytes encodes and reads back to
// itself; the fast reader, when it accepts the bytes, agrees with the general
// one; and reading straight into a server's state (the restore path, where
// the fast reader may give up half way) gives the state the snapshot gives,
// or is refused exactly when the snapshot breaks the server's limits.

#include <string_view>

#include "check.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/store/state_file.hpp"
#include "store/canonical_state_reader.hpp"
#include "store/state_reader.hpp"

using namespace chronos;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  auto general = detail::read_snapshot(text);
  if (auto fast = detail::read_canonical_snapshot(text)) {
    check(static_cast<bool>(general));
    check(*fast == *general);
  }
  server_state streamed;
  auto generation = decode_into(text, streamed);
  if (!general) {
    check(!generation);
    check(!general.error().detail.empty());
    return 0;
  }
  server_state restored;
  const bool within_limits = static_cast<bool>(restored.restore(*general));
  check(static_cast<bool>(generation) == within_limits);
  if (!within_limits)
    return 0;
  check(*generation == general->generation);
  check(streamed.collect(general->saved_at) == restored.collect(general->saved_at));
  auto again = encode(*general);
  check(static_cast<bool>(again));
  auto back = decode(*again);
  check(static_cast<bool>(back));
  check(*back == *general);
  return 0;
}
