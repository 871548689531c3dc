// Durations and times typed by users: any text is either refused with an
// error or parsed; whatever is parsed prints to text that parses back to the
// same value.

#include <string_view>

#include "check.hpp"
#include "chronos/base/duration.hpp"

using namespace chronos;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto d = parse_duration(text)) {
    auto back = parse_duration(format_duration(*d));
    check(back && *back == *d);
  } else {
    check(!d.error().detail.empty());
  }
  if (auto t = parse_time(text)) {
    auto back = parse_time(format_time(*t));
    check(back && *back == *t);
  } else {
    check(!t.error().detail.empty());
  }
  return 0;
}
