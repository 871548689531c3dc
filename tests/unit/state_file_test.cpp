#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "../support/calendar.hpp"
#include "../support/state_text.hpp"
#include "../support/temp_dir.hpp"
#include "chronos/store/state_file.hpp"
#include "chronos/table/token.hpp"
#include "store/timeout_json.hpp"

using namespace chronos;

namespace {

snapshot sample() {
  snapshot s;
  s.saved_at = from_epoch_ms(1'795'302'000'000);
  s.pending.push_back({from_epoch_ms(1'795'302'001'000), token{0x10, 0xa}, "alice", "", millis{0}});
  s.pending.push_back(
    {from_epoch_ms(1'795'302'002'000), token{0x11, 0xb}, "bob", "wake \"up\"\n\xc3\xa9", millis{5000},
     misfire_policy::all, "report \"daily\"", nullptr, millis{0}, millis{0},
     from_epoch_ms(1'795'301'997'000)});
  s.parked.push_back({from_epoch_ms(1'795'301'000'000), token{0x09, 0xc}, "carol", "late", millis{0},
                      misfire_policy::once, "order-7"});
  s.pending.push_back({from_epoch_ms(1'795'302'003'000), token{0x12, 0xd}, "dave", "", millis{0},
                       misfire_policy::once, "",
                       test::calendar_of("0 30 9 * * MON-FRI", "Europe/Berlin"), millis{600'000},
                       millis{123'456}});
  return s;
}

// As a hand-edited file must be: without its checksum, so that the readers'
// own checks are what meet each edit.
std::string valid_text() { return test::without_checksum(*encode(sample())); }

void check_rejected(const std::string& text, const std::string& needle) {
  auto s = decode(text);
  INFO(text);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::storage_failure);
  INFO(s.error().detail);
  CHECK(s.error().detail.find(needle) != std::string::npos);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

} // namespace

TEST_CASE("a snapshot encodes to versioned JSON and decodes to the same") {
  auto text = encode(sample());
  REQUIRE(text);
  CHECK(text->rfind("{\"format\": \"chronos-state\", \"version\": 1", 0) == 0);
  auto back = decode(*text);
  REQUIRE(back);
  CHECK(back->saved_at == sample().saved_at);
  CHECK(back->pending == sample().pending);
  CHECK(back->parked == sample().parked);
}

TEST_CASE("every character a payload may hold survives the state file") {
  snapshot s;
  std::string all;
  for (int c = 1; c < 128; ++c)
    all += static_cast<char>(c);
  all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; // é € U+1F600
  s.pending.push_back({from_epoch_ms(5), token{1, 2}, "n\"\\ame", all, millis{0}});
  auto text = encode(s);
  REQUIRE(text);
  auto back = decode(*text);
  REQUIRE(back);
  REQUIRE(back->pending.size() == 1);
  CHECK(back->pending[0].payload == all);
  CHECK(back->pending[0].name == "n\"\\ame");
}

TEST_CASE("the state file holds one timeout a line") {
  auto text = *encode(sample());
  CHECK(std::count(text.begin(), text.end(), '\n') == 11); // and a line for the checksum
}

TEST_CASE("payload and interval may be left out of a hand-written file") {
  auto s = decode(R"({"format": "chronos-state", "version": 1, "parked": [],
    "timeouts": [{"token": "000000000010-000000000000000a", "name": "a", "deadline_ms": 5}]})");
  REQUIRE(s);
  REQUIRE(s->pending.size() == 1);
  CHECK(s->pending[0].payload.empty());
  CHECK(s->pending[0].interval == millis{0});
}

TEST_CASE("a damaged state file is rejected with what is wrong") {
  check_rejected("", "not valid JSON");
  check_rejected(valid_text().substr(0, 120), "not valid JSON");
  check_rejected("[1, 2]", "expected a JSON object");
  check_rejected(replace(valid_text(), "chronos-state", "other"), "not a chronos state file");
  check_rejected(replace(valid_text(), "\"version\": 1", "\"version\": 2"), "unsupported version 2");
  check_rejected(replace(valid_text(), "\"version\": 1", "\"version\": \"1\""), "version");
  check_rejected(replace(valid_text(), "\"timeouts\"", "\"timeout\""), "missing field \"timeouts\"");
  check_rejected(replace(valid_text(), "\"parked\": [", "\"parked\": [], \"parked\": ["),
                 "parked: given twice");
  check_rejected(replace(valid_text(), "\"name\":\"alice\"", "\"name\":\"\""), "timeouts[0].name");
  check_rejected(replace(valid_text(), "\"name\":\"alice\",", ""), "timeouts[0]: missing field \"name\"");
  check_rejected(replace(valid_text(), "\"token\":\"000000000011-000000000000000b\"",
                         "\"token\":\"zz\""),
                 "timeouts[1].token: malformed token \"zz\"");
  check_rejected(replace(valid_text(), "\"token\":\"000000000011-000000000000000b\"",
                         "\"token\":7"),
                 "timeouts[1].token: expected a string");
  check_rejected(replace(valid_text(), "\"token\":\"000000000011-000000000000000b\"",
                         "\"token\":\"000000000010-000000000000000a\""),
                 "duplicate token");
  check_rejected(replace(valid_text(), "\"deadline_ms\":1795302001000", "\"deadline_ms\":-1"),
                 "timeouts[0].deadline_ms: out of range");
  check_rejected(replace(valid_text(), "\"deadline_ms\":1795302001000", "\"deadline_ms\":1.5"),
                 "expected an integer");
  check_rejected(replace(valid_text(), "\"interval_ms\":5000", "\"interval_ms\":-5"),
                 "timeouts[1].interval_ms");
  check_rejected(replace(valid_text(), "\"payload\":\"late\"", "\"payload\":7"),
                 "parked[0].payload: expected a string");
  check_rejected(replace(valid_text(), "\"misfire\":\"all\"", "\"misfire\":\"sometimes\""),
                 "timeouts[1].misfire: unknown misfire policy \"sometimes\"");
  check_rejected(replace(valid_text(), "\"misfire\":\"all\"", "\"misfire\":1"),
                 "timeouts[1].misfire: expected a string");
  check_rejected(replace(valid_text(), "\"interval_ms\":0,\"name\":\"alice\"",
                         "\"interval_ms\":0,\"misfire\":\"skip\",\"name\":\"alice\""),
                 "timeouts[0].misfire: a misfire policy on a one-shot timeout");
  check_rejected(replace(valid_text(), "\"cron\":\"0 30 9 * * MON-FRI\"", "\"cron\":\"0 30 9 * *\""),
                 "timeouts[2].cron: a cron expression has six fields");
  check_rejected(replace(valid_text(), "\"tz\":\"Europe/Berlin\"", "\"tz\":\"Europe/Atlantis\""),
                 "timeouts[2].cron: unknown time zone 'Europe/Atlantis'");
  check_rejected(replace(valid_text(), "\"cron\":\"0 30 9 * * MON-FRI\",", ""),
                 "timeouts[2].tz: a time zone without a calendar schedule");
  check_rejected(replace(valid_text(), "\"interval_ms\":0,\"jitter_ms\"", "\"interval_ms\":5,\"jitter_ms\""),
                 "timeouts[2].cron: a calendar schedule and a repeat interval");
  check_rejected(replace(valid_text(), "\"delay_ms\":123456", "\"delay_ms\":600000"),
                 "timeouts[2].delay_ms: out of range");
  check_rejected(replace(valid_text(), "\"jitter_ms\":600000", "\"jitter_ms\":2592000001"),
                 "timeouts[2].jitter_ms: out of range");
  check_rejected(replace(valid_text(), "\"jitter_ms\":600000,", ""),
                 "timeouts[2].delay_ms: out of range");
  check_rejected(replace(valid_text(), "\"payload\":\"\",\"token\":\"000000000010-000000000000000a\"",
                         "\"payload\":\"\",\"prev_ms\":5,\"token\":\"000000000010-000000000000000a\""),
                 "timeouts[0].prev_ms: a previous deadline on a one-shot timeout");
  check_rejected(replace(valid_text(), "\"prev_ms\":1795301997000", "\"prev_ms\":-1"),
                 "timeouts[1].prev_ms: out of range");
}

// The writer builds the text by hand for speed; what it writes must stay
// what a JSON library writes for the same object (keys sorted, no spaces).
TEST_CASE("a timeout is written as nlohmann dumps the same object") {
  const std::int64_t extremes[] = {0, 1, 1'795'302'001'000, max_deadline_ms};
  const misfire_policy policies[] = {misfire_policy::once, misfire_policy::all, misfire_policy::skip};
  for (auto deadline : extremes)
    for (auto interval : extremes)
      for (auto policy : policies)
        for (std::string key : {"", "k\"ey \xc3\xa9"})
          for (auto calendar : {std::shared_ptr<const cron_schedule>{},
                                test::calendar_of("0 0 9 * * MON-FRI", "America/New_York")}) {
            const auto jitter = millis{calendar ? 60'000 : 0};
            const timeout t{from_epoch_ms(deadline), token{0x1234, 0xfedcba9876543210}, "n\"ame",
                            "pay\\load\n\x01 \xc3\xa9", millis{interval}, policy, key, calendar,
                            jitter, jitter / 3, from_epoch_ms(interval ? deadline / 2 : 0)};
            nlohmann::json expected{{"deadline_ms", deadline}, {"interval_ms", interval},
                                    {"name", t.name}, {"payload", t.payload}, {"token", t.token.str()}};
            if (policy != misfire_policy::once)
              expected["misfire"] = to_string(policy);
            if (!key.empty())
              expected["key"] = key;
            if (calendar) {
              expected["cron"] = calendar->expression();
              expected["tz"] = calendar->zone();
              expected["jitter_ms"] = jitter.count();
              expected["delay_ms"] = jitter.count() / 3;
            }
            if (interval && deadline / 2)
              expected["prev_ms"] = deadline / 2;
            std::string written = "[";
            detail::append_json(written, t);
            CHECK(written == "[" + expected.dump());
          }
}

TEST_CASE("a timeout with the default misfire policy is written without the field") {
  const auto text = valid_text();
  CHECK(text.find("\"misfire\":\"all\"") != std::string::npos);
  CHECK(text.find("\"misfire\"") == text.rfind("\"misfire\"")); // only bob has one
}

TEST_CASE("unknown fields of any shape are skipped, known ones must have their type") {
  auto s = decode(R"({"comment": {"a": [1, {"b": null}], "c": true}, "format": "chronos-state",
    "version": 1, "extra": [[], {}], "parked": [],
    "timeouts": [{"token": "000000000010-000000000000000a", "note": {"x": [1.5]},
                  "name": "a", "deadline_ms": 5, "tags": ["t"]}]})");
  REQUIRE(s);
  REQUIRE(s->pending.size() == 1);
  CHECK(s->pending[0].name == "a");
  check_rejected("5", "top level: expected a JSON object");
  check_rejected("\"text\"", "top level: expected a JSON object");
  check_rejected(replace(valid_text(), "\"name\":\"alice\"", "\"name\":{\"first\":\"alice\"}"),
                 "timeouts[0].name: expected a string");
  check_rejected(replace(valid_text(), "\"deadline_ms\":1795302001000", "\"deadline_ms\":[1]"),
                 "timeouts[0].deadline_ms: expected an integer");
  check_rejected(replace(valid_text(), "\"timeouts\": [", "\"timeouts\": [7, "), "timeouts[0]: expected an object");
  check_rejected(replace(valid_text(), "\"parked\": [", "\"parked\": {\"x\": ["), "parked: expected an array");
}

TEST_CASE("a missing state file loads as an empty start") {
  test::temp_dir dir;
  auto s = load_state(dir.file("chronos.json"));
  REQUIRE(s);
  CHECK(s->pending.empty());
  CHECK(s->parked.empty());
}

TEST_CASE("a saved state file loads back") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  REQUIRE(save_state(path, sample()));
  auto s = load_state(path);
  REQUIRE(s);
  CHECK(s->pending == sample().pending);
}

TEST_CASE("a state file of many pieces loads back whole and in order") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  snapshot big = sample();
  token_generator tokens{7};
  // About 5 MB: several of the pieces save_state writes.
  for (int i = 0; i < 40'000; ++i)
    big.pending.push_back({from_epoch_ms(1'795'302'003'000 + i), tokens.next(big.saved_at),
                           "client-" + std::to_string(i % 97), std::string(i % 50, 'p'),
                           millis{0}});
  REQUIRE(save_state(path, big));
  CHECK(test::slurp(path) == *encode(big));
  auto s = load_state(path);
  REQUIRE(s);
  CHECK(*s == big);
}

TEST_CASE("an unusable state file is named in the error and left untouched") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  const std::string garbage = "{\"format\": \"chronos-state\", \"version\": 1, \"timeouts\": [";
  test::spit(path, garbage);
  auto s = load_state(path);
  REQUIRE_FALSE(s);
  CHECK(s.error().detail.find(path) != std::string::npos);
  CHECK(test::slurp(path) == garbage);
}

TEST_CASE("a state file without read permission is an error, not an empty start") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  test::spit(path, valid_text());
  ::chmod(path.c_str(), 0);
  auto s = load_state(path);
  if (::geteuid() == 0) {
    WARN("running as root, which reads any file: only the folder case below applies");
    CHECK(s);
    return;
  }
  REQUIRE_FALSE(s);
  CHECK(s.error().detail.find(path) != std::string::npos);
}

TEST_CASE("a folder in place of the state file is an error naming it") {
  test::temp_dir dir;
  auto folder = dir.file("folder.json");
  ::mkdir(folder.c_str(), 0755);
  auto f = load_state(folder);
  REQUIRE_FALSE(f);
  CHECK(f.error().detail.find(folder) != std::string::npos);
}

namespace {

// A sink that keeps what it is handed and counts the fresh starts; refuses
// the timeout with token `refuse`, if any.
struct recording_sink final : snapshot_sink {
  snapshot got;
  int clears = 0;
  std::optional<token> refuse;

  void begin(timestamp saved_at, std::uint64_t generation, std::size_t) override {
    got.saved_at = saved_at;
    got.generation = generation;
  }
  status add(timeout&& t, snapshot_list to) override {
    if (refuse && t.token == *refuse)
      return fail(errc::storage_failure, "refused " + t.token.str());
    (to == snapshot_list::parked ? got.parked : got.pending).push_back(std::move(t));
    return done{};
  }
  void clear() override {
    got = snapshot{};
    ++clears;
  }
};

} // namespace

TEST_CASE("a state file is read straight into a sink, as load_state reads it") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  auto s = sample();
  s.generation = 12;
  REQUIRE(save_state(path, s));
  recording_sink sink;
  auto generation = load_state(path, sink);
  REQUIRE(generation);
  CHECK(*generation == 12);
  CHECK(sink.got == s);
  CHECK(sink.clears == 0);

  recording_sink none;
  auto missing = load_state(dir.file("missing.json"), none);
  REQUIRE(missing);
  CHECK(*missing == 0);
  CHECK(none.got == snapshot{});
}

TEST_CASE("a hand-edited state file reaches the sink once, whole, by the general reader") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  // Valid, but not the layout chronos writes, and only in the parked list:
  // the fast reader has handed over both pending timeouts when it gives up.
  test::spit(path, replace(valid_text(), "\"payload\":\"late\"", "\"payload\": \"late\""));
  recording_sink sink;
  auto generation = load_state(path, sink);
  REQUIRE(generation);
  CHECK(sink.clears == 1);
  CHECK(sink.got == sample());
}

TEST_CASE("a timeout the sink refuses fails the load, naming the file and why") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  REQUIRE(save_state(path, sample()));
  recording_sink sink;
  sink.refuse = token{0x09, 0xc};
  auto refused = load_state(path, sink);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::storage_failure);
  CHECK(refused.error().detail.find(path) != std::string::npos);
  CHECK(refused.error().detail.find("refused " + token{0x09, 0xc}.str()) != std::string::npos);
}

TEST_CASE("bytes changed inside a payload are found by the checksum") {
  const auto text = *encode(sample());
  REQUIRE(decode(text));
  // Still valid JSON and UTF-8: only the checksum can tell.
  auto flipped = replace(text, "\"late\"", "\"kbte\"");
  check_rejected(flipped, "checksum mismatch");
  check_rejected(flipped, "remove its \"crc32\" line");
  // Read unchecked once the checksum line is taken out, as after editing by hand.
  auto edited = decode(test::without_checksum(flipped));
  REQUIRE(edited);
  CHECK(edited->parked[0].payload == "kbte");
}

TEST_CASE("a crc32 field anywhere but where chronos writes it is refused") {
  auto moved = replace(valid_text(), "{\"format\"", "{\"crc32\": \"01234567\", \"format\"");
  check_rejected(moved, "\"crc32\" is not the last line");
}

TEST_CASE("a state file saved in pieces carries the checksum of the whole") {
  test::temp_dir dir;
  const auto path = dir.file("state.json");
  snapshot s;
  for (std::uint64_t i = 0; i < 20'000; ++i) // about 3 MB: several pieces
    s.pending.push_back({from_epoch_ms(1'000 + static_cast<std::int64_t>(i)), token{0x10, i + 1},
                         "n" + std::to_string(i % 7), std::string(60, 'p'), millis{0}});
  REQUIRE(save_state(path, s));
  const auto text = test::slurp(path);
  CHECK(text.size() > 2 * 1024 * 1024);
  CHECK(text == *encode(s));
  auto back = load_state(path);
  REQUIRE(back);
  CHECK(back->pending == s.pending);
}
