// Cron expressions and zones typed by users (or sent by a peer): the input's
// first line is the expression, the second the zone. Either refused with an
// error, or parsed; a parsed schedule's next occurrences are later than
// where each search started, come in order, and the search from just before
// one finds that one.

#include <string_view>

#include "check.hpp"
#include "chronos/base/cron.hpp"

using namespace chronos;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  const auto newline = text.find('\n');
  const auto expression = text.substr(0, newline);
  const auto zone = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  auto schedule = cron_schedule::parse(expression, zone);
  if (!schedule) {
    check(!schedule.error().detail.empty());
    return 0;
  }
  // From 2026-12-07, and from the leap day of 2028, a few occurrences each.
  for (std::int64_t start : {1796601600000, 1835395200000}) {
    auto at = from_epoch_ms(start);
    for (int i = 0; i < 8; ++i) {
      const auto next = schedule->next_after(at);
      if (!next)
        break;
      check(*next > at);
      check(to_epoch_ms(*next) % 1000 == 0); // whole seconds
      check(schedule->next_after(*next - millis{1}) == next);
      at = *next;
    }
  }
  return 0;
}
