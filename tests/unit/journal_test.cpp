#include <catch2/catch.hpp>

#include <algorithm>

#include "../support/calendar.hpp"
#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"
#include "base/crc32.hpp"
#include "chronos/store/journal.hpp"

using namespace chronos;

namespace {

timeout entry(std::uint64_t id, std::int64_t deadline_ms, std::int64_t interval_ms = 0) {
  return {from_epoch_ms(deadline_ms), token{7, id}, "name", "payload \"x\"\n", millis{interval_ms}};
}

std::vector<change> every_kind() {
  return {
    {change::op::schedule, token{7, 1}, entry(1, 1000), {}, {}},
    {change::op::cancel, token{7, 2}, {}, {}, {}},
    {change::op::reschedule, token{7, 3}, {}, from_epoch_ms(5000), {}},
    {change::op::fire, token{7, 4}, {}, {}, {}},
    {change::op::rearm, token{7, 5}, {}, from_epoch_ms(6000), {}},
    {change::op::park, token{7, 6}, entry(6, 900, 100), {}, {}},
    {change::op::schedule, token{7, 7}, [] {
       auto t = entry(7, 2000, 100);
       t.misfire = misfire_policy::all;
       t.prev = from_epoch_ms(1900);
       t.key = "order-7 \"retry\"";
       return t;
     }(), {}, {}},
    {change::op::deliver, token{7, 6}, {}, {}, {}},
    {change::op::schedule, token{7, 8}, [] {
       auto t = entry(8, 3000);
       t.calendar = test::calendar_of("0 0 9 * * MON-FRI", "Australia/Sydney");
       t.jitter = millis{90'000};
       t.delay = millis{12'345};
       return t;
     }(), {}, {}},
    {change::op::rearm, token{7, 8}, {}, from_epoch_ms(7000), {}, millis{54'321}},
  };
}

std::string journal_text(std::uint64_t gen, const std::vector<change>& changes) {
  test::temp_dir dir;
  auto w = journal_writer::create(dir.file("j"), gen);
  REQUIRE(w);
  std::string records;
  for (const auto& c : changes)
    append_record(records, c);
  REQUIRE(w->append(records));
  return test::slurp(dir.file("j")).substr(0, w->size()); // without the reserved space
}

// The text without the count that ends each write: as a crash in the middle
// of the write would leave it, before its last record was cut.
std::string without_count(const std::string& text) {
  const auto last_start = text.rfind('\n', text.size() - 2) + 1;
  REQUIRE(text.find("{\"records\":", last_start) != std::string::npos);
  return text.substr(0, last_start);
}

bool same(const change& a, const change& b) {
  return a.what == b.what && a.token == b.token && a.entry == b.entry && a.deadline == b.deadline
         && a.delay == b.delay;
}

} // namespace

TEST_CASE("crc32 is the IEEE CRC-32 that zlib computes") {
  CHECK(crc32("") == 0);
  CHECK(crc32("123456789") == 0xcbf43926u);
  CHECK(crc32("The quick brown fox jumps over the lazy dog") == 0x414fa339u);
}

TEST_CASE("crc32 agrees with the bit-by-bit definition for every length and alignment") {
  auto bitwise = [](std::string_view data) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char byte : data) {
      c ^= byte;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
  };
  std::string bytes;
  std::uint32_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    x = x * 1103515245u + 12345u;
    bytes += static_cast<char>(x >> 23);
  }
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t len = 0; offset + len <= bytes.size(); len += 1 + len / 16) {
      const std::string_view piece{bytes.data() + offset, len};
      INFO("offset " << offset << ", length " << len);
      REQUIRE(crc32(piece) == bitwise(piece));
    }
}

TEST_CASE("every kind of change survives a journal round trip") {
  auto text = journal_text(3, every_kind());
  auto back = decode_journal(text, "j");
  REQUIRE(back);
  CHECK(back->generation == 3);
  CHECK(back->torn_bytes == 0);
  CHECK(back->valid_bytes == text.size());
  REQUIRE(back->changes.size() == every_kind().size());
  CHECK(back->records == every_kind().size());
  for (std::size_t i = 0; i < every_kind().size(); ++i)
    CHECK(same(back->changes[i], every_kind()[i]));
}

TEST_CASE("journal lines are a checksum and a JSON object") {
  auto text = journal_text(0, every_kind());
  auto first_record = text.substr(text.find('\n') + 1);
  first_record = first_record.substr(0, first_record.find('\n'));
  CHECK(first_record.substr(8, 10) == " {\"op\":\"sc");
  char expected[9];
  std::snprintf(expected, sizeof expected, "%08x", crc32(first_record.substr(9)));
  CHECK(first_record.substr(0, 8) == expected);
}

TEST_CASE("a torn last record is dropped, wherever the write stopped") {
  const auto text = without_count(journal_text(1, every_kind()));
  const auto last_start = text.rfind('\n', text.size() - 2) + 1;
  for (auto cut = last_start + 1; cut < text.size(); cut += 7) {
    auto back = decode_journal(text.substr(0, cut), "j");
    INFO("cut at " << cut);
    REQUIRE(back);
    CHECK(back->changes.size() == every_kind().size() - 1);
    CHECK(back->valid_bytes == last_start);
    CHECK(back->torn_bytes == cut - last_start);
  }
  // A last line whose bytes were garbled (not only cut) counts as torn too.
  auto garbled = text;
  garbled[text.size() - 5] ^= 0x20;
  auto back = decode_journal(garbled, "j");
  REQUIRE(back);
  CHECK(back->changes.size() == every_kind().size() - 1);
}

TEST_CASE("a bad record before good ones is corruption, named with its offset") {
  auto text = journal_text(1, every_kind());
  const auto second = text.find('\n', text.find('\n') + 1) + 1; // the second record
  text[second + 12] = text[second + 12] == 'a' ? 'b' : 'a';
  auto back = decode_journal(text, "state/x.journal.1");
  REQUIRE_FALSE(back);
  CHECK(back.error().detail
        == "journal 'state/x.journal.1' at byte " + std::to_string(second)
             + ": damaged record (checksum or syntax)");
}

// Replay's memory peak is one record: each change is handed over as it is
// read, so those before a damaged record are seen before the error.
TEST_CASE("a journal's changes are handed over one at a time as they are read") {
  auto text = journal_text(1, every_kind());
  const auto third = text.find('\n', text.find('\n', text.find('\n') + 1) + 1) + 1;
  text[third + 12] = text[third + 12] == 'a' ? 'b' : 'a';
  std::vector<change> seen;
  auto back = decode_journal(text, "j", [&](change&& c) -> status {
    seen.push_back(std::move(c));
    return done{};
  });
  REQUIRE_FALSE(back);
  CHECK_THAT(back.error().detail, Catch::Contains("at byte " + std::to_string(third)));
  REQUIRE(seen.size() == 2);
  CHECK(same(seen[0], every_kind()[0]));
  CHECK(same(seen[1], every_kind()[1]));
}

TEST_CASE("a change refused by its taker stops the reading and names the record") {
  const auto text = journal_text(1, every_kind());
  std::size_t taken = 0;
  auto back = decode_journal(text, "state/x.journal.1", [&](change&& c) -> status {
    if (c.what == change::op::reschedule)
      return fail(errc::storage_failure, "does not fit");
    ++taken;
    return done{};
  });
  REQUIRE_FALSE(back);
  CHECK(back.error().code == errc::storage_failure);
  CHECK(back.error().detail == "journal 'state/x.journal.1', record 3: does not fit");
  CHECK(taken == 2);
}

TEST_CASE("a journal with no complete line was never written") {
  using namespace std::string_literals;
  // Empty, a header cut short, a header whose blocks never left the page cache.
  for (const auto& text : {""s, "0a1b2c3d {\"format\":\"chronos-jou"s, std::string(70, '\0')}) {
    auto read = decode_journal(text, "j");
    REQUIRE(read);
    CHECK(read->never_written);
    CHECK(read->records == 0);
  }
  auto written = decode_journal(journal_text(1, {}), "j");
  REQUIRE(written);
  CHECK_FALSE(written->never_written);
}

TEST_CASE("a journal without its header is refused") {
  auto text = journal_text(1, every_kind());
  auto records_only = decode_journal(text.substr(text.find('\n') + 1), "j");
  REQUIRE_FALSE(records_only);
  CHECK(records_only.error().detail == "journal 'j' at byte 0: not a chronos journal of version 1 to 2");
}

TEST_CASE("a record with a well-formed checksum but unknown content is refused") {
  std::string text = journal_text(1, {});
  std::string bogus = R"({"op":"explode","token":"000000000007-0000000000000001"})";
  char crc[10];
  std::snprintf(crc, sizeof crc, "%08x ", crc32(bogus));
  auto back = decode_journal(text + crc + bogus + "\n", "j");
  REQUIRE_FALSE(back);
  CHECK(back.error().detail.find("unknown op") != std::string::npos);
}

TEST_CASE("journal files are named after the state file and listed in order") {
  test::temp_dir dir;
  const auto state = dir.file("chronos.json");
  CHECK(journal_path(state, 12) == dir.file("chronos.journal.12"));
  CHECK(journal_path(dir.file("plain"), 3) == dir.file("plain.journal.3"));
  for (auto gen : {10u, 2u, 7u})
    REQUIRE(journal_writer::create(journal_path(state, gen), gen));
  test::spit(dir.file("chronos.journal.x"), "not one");
  test::spit(dir.file("other.journal.1"), "not ours");
  auto gens = list_journals(state);
  REQUIRE(gens);
  CHECK(*gens == std::vector<std::uint64_t>{2, 7, 10});
}

TEST_CASE("a journal writer appends whole records and reads back") {
  test::temp_dir dir;
  auto w = journal_writer::create(dir.file("j"), 4);
  REQUIRE(w);
  const auto header = w->size();
  std::string records;
  append_record(records, every_kind()[0]);
  REQUIRE(w->append(records));
  REQUIRE(w->sync());
  const auto text = test::slurp(dir.file("j"));
  CHECK(text.substr(header, records.size()) == records);
  const std::string count = "{\"records\":1}";
  CHECK(w->size() == header + records.size() + 9 + count.size() + 1);
  CHECK(text.substr(header + records.size() + 9, count.size()) == count);
  auto back = read_journal(dir.file("j"));
  REQUIRE(back);
  CHECK(back->changes.size() == 1);
}

TEST_CASE("a journal writer reserves space ahead as newlines, and replay ignores it") {
  test::temp_dir dir;
  auto w = journal_writer::create(dir.file("j"), 4);
  REQUIRE(w);
  std::string records;
  for (const auto& c : every_kind())
    append_record(records, c);
  REQUIRE(w->append(records));
  REQUIRE(w->append(records));
  const auto file = test::slurp(dir.file("j"));
  CHECK(file.size() == journal_writer::reserve_step);
  CHECK(file.find_first_not_of('\n', w->size()) == std::string::npos);
  auto back = read_journal(dir.file("j"));
  REQUIRE(back);
  CHECK(back->changes.size() == 2 * every_kind().size());
  CHECK(back->torn_bytes == 0);
  CHECK(back->valid_bytes == w->size());
  CHECK(back->reserved_bytes == file.size() - w->size());

  // A write past the reserved space grows the file to the next step after it.
  const std::string big(journal_writer::reserve_step, 'x');
  REQUIRE(w->append(big));
  CHECK(test::slurp(dir.file("j")).size() == 2 * journal_writer::reserve_step);
}

TEST_CASE("a torn record in reserved space is dropped, and empty lines between records are corruption") {
  const auto records = without_count(journal_text(1, every_kind()));
  const auto last_start = records.rfind('\n', records.size() - 2) + 1;
  const std::string reserved(100, '\n');
  auto torn = records.substr(0, last_start + 15) + reserved;
  auto back = decode_journal(torn, "j");
  REQUIRE(back);
  CHECK(back->changes.size() == every_kind().size() - 1);
  CHECK(back->valid_bytes == last_start);
  CHECK(back->torn_bytes == 16); // 15 bytes and the newline that ends them
  CHECK(back->reserved_bytes == reserved.size() - 1);

  auto holed = records.substr(0, last_start) + "\n\n" + records.substr(last_start) + reserved;
  auto refused = decode_journal(holed, "j");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().detail.find("at byte " + std::to_string(last_start))
        != std::string::npos);
  CHECK_FALSE(decode_journal(reserved, "j")); // no header

  // A step allocated but not yet filled (the process died in between) reads as NULs.
  const std::string unfilled = std::string(100, '\n') + std::string(300, '\0');
  auto allocated = decode_journal(records + unfilled, "j");
  REQUIRE(allocated);
  CHECK(allocated->changes.size() == every_kind().size());
  CHECK(allocated->torn_bytes == 0);
  CHECK(allocated->reserved_bytes == unfilled.size());
}

TEST_CASE("a journal writer uses its reserved space on a full disk, and writes without on a tight one") {
  test::tiny_disk disk{"2m"};
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  std::string records;
  for (const auto& c : every_kind())
    append_record(records, c);
  auto w = journal_writer::create(disk.file("j"), 1);
  REQUIRE(w);
  REQUIRE(w->append(records));
  disk.fill();
  for (int i = 0; i < 100; ++i)
    REQUIRE(w->append(records)); // into the reserved step: no new blocks needed
  CHECK(test::slurp(disk.file("j")).size() == journal_writer::reserve_step);

  auto later = read_journal(disk.file("j"));
  REQUIRE(later);
  CHECK(later->changes.size() == 101 * every_kind().size());

  // Without room for a step, records are written all the same.
  test::tiny_disk tight{"256k"};
  REQUIRE(tight.mounted());
  auto t = journal_writer::create(tight.file("j"), 2);
  REQUIRE(t);
  REQUIRE(t->append(records));
  CHECK(test::slurp(tight.file("j")).size() == t->size());
  CHECK(read_journal(tight.file("j"))->changes.size() == every_kind().size());
}

TEST_CASE("records in another key order or spacing read the same as the ones chronos writes") {
  auto line = [](const std::string& text) {
    char crc[10];
    std::snprintf(crc, sizeof crc, "%08x ", crc32(text));
    return crc + text + "\n";
  };
  const auto tok = [](std::uint64_t id) { return token{7, id}.str(); };
  // every_kind(), written as another JSON writer might.
  const std::string others = line(R"({"t":{"token":")" + tok(1) + R"(","payload":"payload \"x\"\n","name":"name","interval_ms":0,"deadline_ms":1000},"op":"schedule"})")
    + line(R"({ "op" : "cancel", "token" : ")" + tok(2) + R"(" })")
    + line(R"({"deadline_ms":5000,"op":"reschedule","token":")" + tok(3) + R"("})")
    + line(R"({"op":"fire","token":")" + tok(4) + R"(","note":"ignored"})")
    + line(R"({"deadline_ms":6000,"op":"rearm","token":")" + tok(5) + R"("})")
    + line(R"({"op":"park","t":{"deadline_ms":900,"interval_ms":100,"name":"name","payload":"payload \u0022x\u0022\n","token":")" + tok(6) + R"("}})")
    + line(R"({"op":"schedule","t":{"deadline_ms":2000,"interval_ms":100,"key":"order-7 \"retry\"","misfire":"all","name":"name","payload":"payload \"x\"\n","prev_ms":1900,"token":")" + tok(7) + R"("}})")
    + line(R"({"token":")" + tok(6) + R"(","op":"deliver"})")
    + line(R"({"op":"schedule","t":{"tz":"Australia/Sydney","token":")" + tok(8) + R"(","payload":"payload \"x\"\n","name":"name","interval_ms":0,"deadline_ms":3000,"cron":"0 0 9 * * MON-FRI","jitter_ms":90000,"delay_ms":12345}})")
    + line(R"({"delay_ms":54321,"op":"rearm","deadline_ms":7000,"token":")" + tok(8) + R"("})");
  const auto header = journal_text(1, {});
  auto back = decode_journal(header + others, "j");
  REQUIRE(back);
  REQUIRE(back->changes.size() == every_kind().size());
  for (std::size_t i = 0; i < every_kind().size(); ++i) {
    INFO("record " << i);
    CHECK(same(back->changes[i], every_kind()[i]));
  }
  // What chronos writes reads the same way.
  auto own = decode_journal(journal_text(1, every_kind()), "j");
  REQUIRE(own);
  for (std::size_t i = 0; i < every_kind().size(); ++i)
    CHECK(same(own->changes[i], back->changes[i]));
}

TEST_CASE("a record in chronos's own layout that breaks a rule is reported as before") {
  const auto header = journal_text(1, {});
  auto line = [](const std::string& text) {
    char crc[10];
    std::snprintf(crc, sizeof crc, "%08x ", crc32(text));
    return crc + text + "\n";
  };
  const std::string tok = token{7, 1}.str();
  const std::vector<std::pair<std::string, std::string>> cases{
    {R"({"op":"cancel","token":"not-a-token"})", "malformed token"},
    {R"({"op":"rearm","token":")" + tok + R"(","deadline_ms":-5})", "deadline_ms"},
    {R"({"op":"schedule","t":{"deadline_ms":1000,"interval_ms":0,"name":"","payload":"","token":")" + tok + R"("}})", "name"},
  };
  for (const auto& [record, says] : cases) {
    INFO(record);
    auto back = decode_journal(header + line(record), "state/x.journal.1");
    REQUIRE_FALSE(back);
    CHECK(back.error().detail.find("journal 'state/x.journal.1' at byte " + std::to_string(header.size()))
          != std::string::npos);
    CHECK(back.error().detail.find(says) != std::string::npos);
  }
  // Text after the object is no JSON: damage, here with a record after it.
  const std::string cancel = R"({"op":"cancel","token":")" + tok + R"("})";
  auto trailing = decode_journal(header + line(cancel + " x") + line(cancel), "j");
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error().detail.find("damaged record") != std::string::npos);
}

TEST_CASE("a record line deleted from the middle of a journal is found by the next count") {
  test::temp_dir dir;
  auto w = journal_writer::create(dir.file("j"), 1);
  REQUIRE(w);
  const auto kinds = every_kind();
  std::string first, second;
  for (std::size_t i = 0; i < 5; ++i)
    append_record(first, kinds[i]);
  for (std::size_t i = 5; i < kinds.size(); ++i)
    append_record(second, kinds[i]);
  REQUIRE(w->append(first));
  REQUIRE(w->append(second));
  const auto text = test::slurp(dir.file("j")).substr(0, w->size());
  REQUIRE(decode_journal(text, "j"));
  std::vector<std::string> lines;
  for (std::size_t p = 0; p < text.size();) {
    const auto n = text.find('\n', p);
    lines.push_back(text.substr(p, n + 1 - p));
    p = n + 1;
  }
  REQUIRE(lines.size() == 1 + 5 + 1 + (kinds.size() - 5) + 1);
  auto joined = [&](std::size_t drop, std::size_t repeat) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i != drop)
        out += lines[i];
      if (i == repeat)
        out += lines[i];
    }
    return out;
  };
  // Every line left intact: only the counts can tell.
  for (std::size_t drop : {std::size_t{2}, std::size_t{5}, std::size_t{8}}) {
    INFO("line " << drop << " deleted");
    auto read = decode_journal(joined(drop, SIZE_MAX), "j");
    REQUIRE_FALSE(read);
    CHECK_THAT(read.error().detail, Catch::Contains("records are missing or repeated"));
  }
  auto copied = decode_journal(joined(SIZE_MAX, 3), "j");
  REQUIRE_FALSE(copied);
  CHECK_THAT(copied.error().detail, Catch::Contains("6 records before a count of 5"));
}

TEST_CASE("a journal of version 1, without counts, is read as before") {
  std::string text;
  auto line = [&](const std::string& json) {
    char crc[10];
    std::snprintf(crc, sizeof crc, "%08x ", crc32(json));
    text += crc + json + "\n";
  };
  line(R"({"format":"chronos-journal","generation":3,"version":1})");
  std::string records;
  for (const auto& c : every_kind())
    append_record(records, c);
  text += records;
  auto back = decode_journal(text, "j");
  REQUIRE(back);
  CHECK(back->generation == 3);
  REQUIRE(back->changes.size() == every_kind().size());
  for (std::size_t i = 0; i < every_kind().size(); ++i)
    CHECK(same(back->changes[i], every_kind()[i]));
}

TEST_CASE("crc32 goes on from the CRC of what came before") {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (std::size_t split = 0; split <= text.size(); ++split)
    CHECK(crc32(std::string_view{text}.substr(split), crc32(text.substr(0, split)))
          == crc32(text));
}
