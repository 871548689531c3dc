// Journal replay: any bytes are either refused with an error naming the file,
// or found never written (no complete line), or read as records followed by at most a torn tail and then reserved space
// (newlines and NULs only) that together cover the input exactly; the records read
// encode back to lines that read the same.

#include <string>
#include <string_view>

#include "check.hpp"
#include "chronos/store/journal.hpp"

using namespace chronos;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  auto read = decode_journal(text, "fuzz.journal");
  if (!read) {
    check(read.error().detail.find("fuzz.journal") != std::string::npos);
    return 0;
  }
  check(read->valid_bytes + read->torn_bytes + read->reserved_bytes == size);
  if (read->never_written) {
    // No complete line: nothing read, all of it torn or reserved.
    check(read->records == 0 && read->valid_bytes == 0);
    check(text.substr(0, read->torn_bytes).find('\n') == std::string_view::npos);
    return 0;
  }
  check(text.find_first_not_of(std::string_view{"\n\0", 2}, read->valid_bytes + read->torn_bytes)
        == std::string_view::npos);
  // Rewrite the valid part from the records: the header line, then each record.
  const auto header_end = text.find('\n');
  check(header_end != std::string_view::npos && header_end < read->valid_bytes);
  std::string rewritten{text.substr(0, header_end + 1)};
  for (const auto& c : read->changes)
    append_record(rewritten, c);
  auto back = decode_journal(rewritten, "rewritten");
  check(static_cast<bool>(back));
  check(back->changes.size() == read->changes.size());
  check(back->torn_bytes == 0);
  std::string twice{text.substr(0, header_end + 1)};
  for (const auto& c : back->changes)
    append_record(twice, c);
  check(twice == rewritten);
  return 0;
}
