#include "store/state_reader.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "store/state_checksum.hpp"
#include "store/timeout_json.hpp"
#include "table/distinct_tokens.hpp"

namespace chronos::detail {

namespace {

using json = nlohmann::json;

// The fields of a stored timeout, by the JSON type they must have.
bool is_string_field(const std::string& key) {
  return key == "token" || key == "name" || key == "payload" || key == "misfire" || key == "key"
         || key == "cron" || key == "tz";
}

bool is_integer_field(const std::string& key) {
  return key == "deadline_ms" || key == "interval_ms" || key == "jitter_ms" || key == "delay_ms"
         || key == "prev_ms";
}

class reader final : public nlohmann::json_sax<json> {
public:
  std::optional<failure> error;
  snapshot result;
  bool seen_format = false, seen_version = false, seen_timeouts = false, seen_parked = false;
  bool seen_checksum = false;

  // -- values ------------------------------------------------------------------
  bool null() override { return other_value("null"); }
  bool boolean(bool) override { return other_value("a boolean"); }
  bool number_float(number_float_t, const string_t&) override { return other_value("a number"); }
  bool binary(binary_t&) override { return other_value("binary data"); }
  bool number_integer(number_integer_t v) override { return integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return integer(v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                             : static_cast<std::int64_t>(v));
  }

  bool string(string_t& v) override {
    if (skipping())
      return true;
    if (where_ == at::before)
      return fail_with("top level", "expected a JSON object");
    if (where_ == at::top) {
      if (key_ == "format") {
        seen_format = true;
        if (v != state_file_format::name)
          return fail_with("top level",
                           "not a chronos state file (\"format\" is not \"chronos-state\")");
        return true;
      }
      if (key_ == "crc32") {
        seen_checksum = true;
        return true;
      }
      return top_scalar("a string");
    }
    if (where_ != at::entry)
      return fail_with(item(), "expected an object");
    if (key_ == "token")
      entry_.token = token_text_ = std::move(v);
    else if (key_ == "name")
      entry_.name = std::move(v);
    else if (key_ == "payload")
      entry_.payload = std::move(v);
    else if (key_ == "misfire")
      entry_.misfire = std::move(v);
    else if (key_ == "key")
      entry_.key = std::move(v);
    else if (key_ == "cron")
      entry_.cron = std::move(v);
    else if (key_ == "tz")
      entry_.tz = std::move(v);
    else if (is_integer_field(key_))
      return fail_with(item() + "." + key_, "expected an integer");
    return true;
  }

  // -- structure ---------------------------------------------------------------
  bool start_object(std::size_t) override {
    if (skipping() || where_ == at::entry)
      return entry_nested();
    if (where_ == at::before) {
      where_ = at::top;
      return true;
    }
    if (where_ == at::top)
      return top_nested(false);
    where_ = at::entry; // an element of a list
    entry_ = {};
    return true;
  }

  bool start_array(std::size_t) override {
    if (skipping() || where_ == at::entry)
      return entry_nested();
    if (where_ == at::before)
      return fail_with("top level", "expected a JSON object");
    if (where_ == at::list)
      return fail_with(item(), "expected an object");
    return top_nested(true);
  }

  bool key(string_t& k) override {
    if (!skipping())
      key_ = std::move(k);
    return true;
  }

  bool end_object() override {
    if (skipping())
      return skip_close();
    if (where_ == at::entry) {
      where_ = at::list;
      if (!finish_entry())
        return false;
      ++index_;
      return true;
    }
    where_ = at::after;
    return true;
  }

  bool end_array() override {
    if (skipping())
      return skip_close();
    where_ = at::top;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    if (!error)
      error = fail(errc::storage_failure, std::string{"not valid JSON: "} + e.what());
    return false;
  }

private:
  enum class at { before, top, list, entry, after };

  bool skipping() const { return skip_depth_ > 0; }
  bool skip_open() {
    ++skip_depth_;
    return true;
  }
  bool skip_close() {
    --skip_depth_;
    return true;
  }

  bool fail_with(const std::string& where, const std::string& why) {
    if (!error)
      error = fail(errc::storage_failure, where + ": " + why);
    return false;
  }

  std::string item() const {
    return (in_parked_ ? "parked[" : "timeouts[") + std::to_string(index_) + "]";
  }

  // A scalar other than a string or an integer.
  bool other_value(const char* what) {
    if (skipping())
      return true;
    if (where_ == at::before)
      return fail_with("top level", "expected a JSON object");
    if (where_ == at::top)
      return top_scalar(what);
    if (where_ != at::entry)
      return fail_with(item(), "expected an object");
    if (is_integer_field(key_))
      return fail_with(item() + "." + key_, "expected an integer");
    if (is_string_field(key_))
      return fail_with(item() + "." + key_, "expected a string");
    return true;
  }

  bool integer(std::int64_t v) {
    if (skipping())
      return true;
    if (where_ == at::before)
      return fail_with("top level", "expected a JSON object");
    if (where_ == at::top) {
      if (key_ == "version") {
        seen_version = true;
        if (v != state_file_format::version)
          return fail_with("top level", "unsupported version " + std::to_string(v)
                                          + " (this build reads version "
                                          + std::to_string(state_file_format::version) + ")");
        return true;
      }
      if (key_ == "saved_ms" || key_ == "generation") {
        if (v < 0 || (key_ == "saved_ms" && v > max_deadline_ms))
          return fail_with("top level." + key_, "out of range");
        if (key_ == "saved_ms")
          result.saved_at = from_epoch_ms(v);
        else
          result.generation = static_cast<std::uint64_t>(v);
        return true;
      }
      return top_scalar("an integer");
    }
    if (where_ != at::entry)
      return fail_with(item(), "expected an object");
    if (key_ == "deadline_ms")
      entry_.deadline_ms = v;
    else if (key_ == "interval_ms")
      entry_.interval_ms = v;
    else if (key_ == "jitter_ms")
      entry_.jitter_ms = v;
    else if (key_ == "delay_ms")
      entry_.delay_ms = v;
    else if (key_ == "prev_ms")
      entry_.prev_ms = v;
    else if (is_string_field(key_))
      return fail_with(item() + "." + key_, "expected a string");
    return true;
  }

  // A scalar at the top level: wrong for the fields we know, ignored otherwise.
  bool top_scalar(const char* what) {
    if (key_ == "format")
      return fail_with("top level",
                       "not a chronos state file (\"format\" is not \"chronos-state\")");
    if (key_ == "version")
      return fail_with("top level", "missing or malformed \"version\"");
    if (key_ == "saved_ms" || key_ == "generation")
      return fail_with("top level." + key_, "expected an integer");
    if (key_ == "timeouts" || key_ == "parked")
      return fail_with(key_, std::string{"expected an array, not "} + what);
    return true;
  }

  // An object or array as a top-level value.
  bool top_nested(bool is_array) {
    if (key_ == "timeouts" || key_ == "parked") {
      if (!is_array)
        return fail_with(key_, "expected an array");
      // A second list of the same name would append to the first, unchecked
      // against it for duplicate tokens (found by tests/fuzz).
      auto& seen_list = key_ == "timeouts" ? seen_timeouts : seen_parked;
      if (seen_list)
        return fail_with(key_, "given twice");
      seen_list = true;
      in_parked_ = key_ == "parked";
      index_ = 0;
      seen_.emplace(list_tokens{&list()});
      where_ = at::list;
      return true;
    }
    if (key_ == "format" || key_ == "version" || key_ == "saved_ms" || key_ == "generation")
      return top_scalar(is_array ? "an array" : "an object");
    return skip_open();
  }

  // An object or array inside an entry: wrong for known fields, skipped otherwise.
  bool entry_nested() {
    if (!skipping() && where_ == at::entry) {
      if (is_integer_field(key_))
        return fail_with(item() + "." + key_, "expected an integer");
      if (is_string_field(key_))
        return fail_with(item() + "." + key_, "expected a string");
    }
    return skip_open();
  }

  std::vector<timeout>& list() { return in_parked_ ? result.parked : result.pending; }

  bool finish_entry() {
    auto t = make_timeout(std::move(entry_), [this] { return item(); });
    if (!t) {
      if (!error)
        error = t.error();
      return false;
    }
    list().push_back(std::move(*t));
    if (!seen_->admit(list().size() - 1))
      return fail_with(item() + ".token", "duplicate token " + list().back().token.str());
    return true;
  }

  at where_ = at::before;
  std::string key_;
  bool in_parked_ = false; // which list is being read: "parked" or "timeouts"
  std::size_t index_ = 0;
  std::size_t skip_depth_ = 0;
  timeout_fields entry_; // checked when its object closes
  std::string token_text_; // what entry_.token views
  std::optional<distinct_tokens<list_tokens>> seen_; // of the list being read
};

} // namespace

outcome<snapshot> read_snapshot(std::string_view text) {
  const auto checked = check_checksum(text);
  if (checked.result == checksum_check::verdict::differs)
    return fail(errc::storage_failure, checksum_mismatch(checked));
  reader r;
  const bool ok = json::sax_parse(text.begin(), text.end(), &r);
  if (r.error)
    return *r.error;
  if (!ok)
    return fail(errc::storage_failure, "not valid JSON");
  if (!r.seen_format)
    return fail(errc::storage_failure,
                "top level: not a chronos state file (\"format\" is not \"chronos-state\")");
  if (!r.seen_version)
    return fail(errc::storage_failure, "top level: missing or malformed \"version\"");
  if (!r.seen_timeouts)
    return fail(errc::storage_failure, "top level: missing field \"timeouts\"");
  if (!r.seen_parked)
    return fail(errc::storage_failure, "top level: missing field \"parked\"");
  if (r.seen_checksum && checked.result == checksum_check::verdict::absent)
    return fail(errc::storage_failure,
                "top level: \"crc32\" is not the last line, where chronos writes it: remove "
                "it to read the file unchecked");
  return std::move(r.result);
}

} // namespace chronos::detail
