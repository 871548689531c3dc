#include "chronos/store/postgres_store.hpp"

#include <charconv>
#include <iterator>

#include "chronos/base/log.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/schema.hpp"
#include "store/timeout_json.hpp"

namespace chronos {

namespace {

using detail::pg_connection;
using detail::pg_deadline;
using detail::pg_params;
using detail::pg_result;
namespace sql = detail::pg_sql;

// What start-up, loads and imports wait for a busy database at least.
constexpr millis patient{10000};

// One partition for now; the column lets several chronosd share the tables later.
constexpr int partition = 0;
const std::string partition_text = std::to_string(partition);

pg_deadline deadline_after(millis wait) {
  return std::chrono::steady_clock::now() + std::max(wait, millis{1000});
}

std::optional<std::int64_t> to_int(const char* text) {
  std::int64_t v = 0;
  const char* end = text + std::char_traits<char>::length(text);
  auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc{} || p != end)
    return std::nullopt;
  return v;
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
}

// bytea's text form: "\x" then two hex digits a byte.
std::optional<std::string> from_bytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
    return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2 - 1);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// A change as chronos_apply reads it; the payload in hex, since jsonb holds
// no NUL character and a payload may.
void encode_change(std::string& out, const change& c) {
  out += "{\"op\":\"";
  out += to_string(c.what);
  out += "\",\"token\":\"";
  c.token.append_to(out);
  out += '"';
  switch (c.what) {
    case change::op::schedule:
    case change::op::park:
      out += ",\"name\":";
      detail::append_json_string(out, c.entry.name);
      out += ",\"deadline_ms\":" + std::to_string(to_epoch_ms(c.entry.deadline));
      out += ",\"interval_ms\":" + std::to_string(c.entry.interval.count());
      out += ",\"misfire\":\"";
      out += to_string(c.entry.misfire);
      out += "\",\"key\":";
      detail::append_json_string(out, c.entry.key);
      out += ",\"payload\":\"";
      append_hex(out, c.entry.payload);
      out += '"';
      if (c.entry.calendar) {
        out += ",\"cron\":";
        detail::append_json_string(out, c.entry.calendar->expression());
        out += ",\"tz\":";
        detail::append_json_string(out, c.entry.calendar->zone());
      }
      if (c.entry.jitter.count() > 0) {
        out += ",\"jitter_ms\":" + std::to_string(c.entry.jitter.count());
        out += ",\"delay_ms\":" + std::to_string(c.entry.delay.count());
      }
      if (c.entry.prev != timestamp{})
        out += ",\"prev_ms\":" + std::to_string(to_epoch_ms(c.entry.prev));
      break;
    case change::op::reschedule:
    case change::op::rearm:
      out += ",\"deadline_ms\":" + std::to_string(to_epoch_ms(c.deadline));
      if (c.delay.count() > 0)
        out += ",\"delay_ms\":" + std::to_string(c.delay.count());
      break;
    default:
      break;
  }
  out += "},";
}

// "[e1,e2,...]" from the concatenated encodings "e1,e2,...,".
std::string json_array(std::string_view batch) {
  std::string out;
  out.reserve(batch.size() + 2);
  out += '[';
  out.append(batch.data(), batch.empty() ? 0 : batch.size() - 1);
  out += ']';
  return out;
}

outcome<lease_info> lease_from(const PGresult* r, bool held) {
  if (PQntuples(r) != 1)
    return fail(errc::storage_failure, "the lease table has no row for partition "
                                         + partition_text + ": not a chronos database?");
  lease_info out;
  out.holder = PQgetvalue(r, 0, 0);
  out.address = PQgetvalue(r, 0, 1);
  const auto epoch = to_int(PQgetvalue(r, 0, 2));
  const auto expires = to_int(PQgetvalue(r, 0, 3));
  if (!epoch || !expires || *epoch < 0)
    return fail(errc::storage_failure, "the lease row is damaged");
  out.epoch = static_cast<std::uint64_t>(*epoch);
  out.expires_at = from_epoch_ms(*expires);
  out.held = held;
  if (const int col = PQfnumber(r, "remaining_ms"); col >= 0)
    out.remaining = millis{std::max<std::int64_t>(0, to_int(PQgetvalue(r, 0, col)).value_or(0))};
  return out;
}

// The version of the tables, or nullopt on a database without them.
outcome<std::optional<std::int64_t>> schema_version(pg_connection& conn, pg_deadline deadline) {
  auto exists = conn.exec(sql::schema_exists, deadline);
  if (!exists)
    return exists.error();
  if (std::string_view{PQgetvalue(exists->get(), 0, 0)} != "t")
    return std::optional<std::int64_t>{};
  auto version = conn.exec(sql::schema_version, deadline);
  if (!version)
    return version.error();
  const auto v = PQntuples(version->get()) == 1 ? to_int(PQgetvalue(version->get(), 0, 0))
                                                : std::nullopt;
  if (!v)
    return fail(errc::storage_failure, "the table chronos_schema holds no version");
  return v;
}

// Creates the tables, or migrates them to this binary's version, then
// installs the function; one transaction, one creator at a time.
status check_schema(pg_connection& conn, pg_deadline deadline) {
  constexpr auto newest = static_cast<std::int64_t>(postgres_schema_version);
  static_assert(std::size(sql::migrations) + 1 == postgres_schema_version);
  const auto run = [&](const char* text, const std::string& what) -> status {
    if (auto ok = conn.exec(text, deadline); !ok)
      return fail(errc::storage_failure, what + ": " + ok.error().detail);
    return done{};
  };
  for (const char* step : {"BEGIN", sql::schema_lock})
    if (auto ok = run(step, "cannot check the chronos tables"); !ok)
      return ok;
  auto found = schema_version(conn, deadline);
  if (!found)
    return found.error();
  auto version = found->value_or(0);
  if (version > newest)
    return fail(errc::storage_failure,
                "the database holds chronos schema version " + std::to_string(version)
                  + ", newer than this chronosd knows (up to " + std::to_string(newest)
                  + "): run a chronosd as new as the one that wrote it");
  if (version == 0) {
    if (auto ok = run(sql::create_v1, "cannot create the chronos tables"); !ok)
      return ok;
    version = 1;
  }
  const auto from = version;
  for (; version < newest; ++version)
    if (auto ok = run(sql::migrations[version - 1],
                      "cannot migrate the chronos tables to version " + std::to_string(version + 1));
        !ok)
      return ok;
  if (auto ok = run(sql::apply_function, "cannot install chronos_apply"); !ok)
    return ok;
  if (auto ok = run("COMMIT", "cannot commit the chronos tables"); !ok)
    return ok;
  if (!found->has_value())
    log_info("created the chronos tables (schema version " + std::to_string(newest) + ")");
  else if (from < newest)
    log_info("migrated the chronos tables from schema version " + std::to_string(from) + " to "
             + std::to_string(newest));
  return done{};
}

// The batches of one leader: every append is a transaction of its own
// through chronos_apply, numbered, so that one whose answer was lost can be
// looked up afterwards.
class postgres_log final : public change_log {
public:
  postgres_log(postgres_options opt, std::uint64_t epoch, std::uint64_t batches,
               pg_connection conn)
    : opt_(std::move(opt)), epoch_(epoch), batches_(batches), conn_(std::move(conn)) {}

  void encode(std::string& batch, const change& c) const override { encode_change(batch, c); }

  status append(std::string_view batch) override {
    return apply(json_array(batch), commit_wait::as_configured);
  }

  // In `interval` mode commits do not wait for the WAL flush; a synchronous
  // commit of an empty batch flushes everything committed before it.
  status sync() override {
    if (opt_.mode != durability::interval)
      return done{};
    return apply("[]", commit_wait::flush);
  }

  std::uint64_t size() const override { return 0; }

  status set_commit_mode() {
    const char* mode = opt_.mode == durability::interval ? "SET synchronous_commit TO off"
                                                         : "SET synchronous_commit TO on";
    if (auto ok = conn_.exec(mode, deadline_after(opt_.lease)); !ok)
      return ok.error();
    return done{};
  }

private:
  enum class commit_wait { as_configured, flush };

  status connect() {
    auto conn = pg_connection::connect(opt_.url, deadline_after(opt_.lease));
    if (!conn)
      return conn.error();
    conn_ = std::move(*conn);
    return set_commit_mode();
  }

  // Whether batch `seq` committed, asked on a new connection; nullopt when
  // the database cannot be asked.
  std::optional<bool> committed(std::uint64_t seq) {
    if (!connect())
      return std::nullopt;
    auto row = conn_.exec(sql::lease, {partition_text}, deadline_after(opt_.lease));
    if (!row || PQntuples(row->get()) != 1)
      return std::nullopt;
    const auto epoch = to_int(PQgetvalue(row->get(), 0, 2));
    const auto batches = to_int(PQgetvalue(row->get(), 0, 4));
    if (!epoch || !batches)
      return std::nullopt;
    return static_cast<std::uint64_t>(*epoch) == epoch_
           && static_cast<std::uint64_t>(*batches) >= seq;
  }

  status apply(const std::string& array, commit_wait wait) {
    if (unresolved_) {
      const auto found = committed(*unresolved_);
      if (!found)
        return fail(errc::storage_failure, "the database cannot be reached to learn whether "
                                           "an earlier batch committed");
      if (*found)
        return diverged();
      unresolved_.reset();
    }
    if (!conn_.ok())
      if (auto ok = connect(); !ok)
        return ok;
    const auto seq = ++batches_;
    const pg_params params{partition_text, std::to_string(epoch_), std::to_string(seq), array};
    const auto deadline = deadline_after(opt_.lease);
    if (wait == commit_wait::flush && opt_.mode == durability::interval) {
      if (auto ok = conn_.exec("BEGIN", deadline); !ok)
        return lost(seq);
      if (auto ok = conn_.exec("SET LOCAL synchronous_commit TO on", deadline); !ok)
        return lost(seq);
      if (auto ok = conn_.exec(sql::apply, params, deadline); !ok)
        return refused_or_lost(seq);
      if (auto ok = conn_.exec("COMMIT", deadline); !ok)
        return lost(seq);
      return done{};
    }
    if (auto ok = conn_.exec(sql::apply, params, deadline); !ok)
      return refused_or_lost(seq);
    return done{};
  }

  status refused_or_lost(std::uint64_t seq) {
    const auto& f = conn_.last_failure();
    if (f.outcome == detail::pg_outcome::unknown)
      return lost(seq);
    if (conn_.in_failed_transaction())
      (void) conn_.exec("ROLLBACK", deadline_after(opt_.lease));
    if (f.sqlstate == sql::lease_taken_state)
      return fail(errc::storage_failure, "another chronosd has taken the lease: " + f.error.detail);
    return fail(errc::storage_failure, "the database refused a batch: " + f.error.detail);
  }

  // The connection broke before the answer: ask whether it committed.
  status lost(std::uint64_t seq) {
    const auto why = conn_.last_failure().error.detail;
    const auto found = committed(seq);
    if (found && *found)
      return done{};
    if (found)
      return fail(errc::storage_failure, why);
    unresolved_ = seq;
    return fail(errc::storage_failure, why + " (whether the last batch committed is not known yet)");
  }

  // A batch reported as failed did commit: the database holds changes the
  // leader undid. Only a reload can agree with it again: give the lease up,
  // so that the next leader (this one, too) loads what is stored.
  status diverged() {
    (void) conn_.exec(sql::release, {partition_text, std::to_string(epoch_)},
                      deadline_after(opt_.lease));
    return fail(errc::storage_failure, "a batch reported as failed did commit; the lease is "
                                       "given up so that the stored state is loaded again");
  }

  postgres_options opt_;
  std::uint64_t epoch_;
  std::uint64_t batches_;
  pg_connection conn_;
  std::optional<std::uint64_t> unresolved_;
};

} // namespace

struct postgres_store::impl {
  postgres_options opt;
  std::optional<pg_connection> conn; // the lease's; reconnected when broken

  /// The lease's calls: no longer than the lease, which they keep.
  pg_deadline deadline() const { return deadline_after(opt.lease); }
  /// Start-up, loads, imports: a busy database may take longer than a lease.
  pg_deadline patient_deadline() const { return deadline_after(std::max(opt.lease, patient)); }

  outcome<pg_connection*> connection() {
    if (conn && conn->ok())
      return &*conn;
    auto fresh = pg_connection::connect(opt.url, deadline());
    if (!fresh)
      return fresh.error();
    conn = std::move(*fresh);
    return &*conn;
  }

  outcome<pg_result> exec(const char* text, const pg_params& params) {
    auto c = connection();
    if (!c)
      return c.error();
    return (*c)->exec(text, params, deadline());
  }
};

postgres_store::postgres_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
postgres_store::postgres_store(postgres_store&&) noexcept = default;
postgres_store& postgres_store::operator=(postgres_store&&) noexcept = default;
postgres_store::~postgres_store() = default;

const postgres_options& postgres_store::options() const { return impl_->opt; }

void postgres_store::set_address(std::string address) { impl_->opt.address = std::move(address); }

postgres_store postgres_store::another() const {
  auto p = std::make_unique<impl>();
  p->opt = impl_->opt;
  return postgres_store{std::move(p)};
}

outcome<postgres_store> postgres_store::open(postgres_options options) {
  if (options.lease < millis{300})
    return fail(errc::invalid_argument, "a lease shorter than 300ms cannot be renewed in time");
  auto p = std::make_unique<impl>();
  p->opt = std::move(options);
  auto conn = pg_connection::connect(p->opt.url, p->patient_deadline());
  if (!conn)
    return conn.error();
  if (auto ok = check_schema(*conn, p->patient_deadline()); !ok)
    return ok.error();
  p->conn = std::move(*conn);
  return postgres_store{std::move(p)};
}

outcome<lease_info> postgres_store::try_acquire() {
  auto taken = impl_->exec(sql::acquire, {partition_text, impl_->opt.holder, impl_->opt.address,
                                          std::to_string(impl_->opt.lease.count())});
  if (!taken)
    return taken.error();
  if (PQntuples(taken->get()) == 1)
    return lease_from(taken->get(), true);
  return lease();
}

outcome<lease_info> postgres_store::renew(std::uint64_t epoch) {
  auto renewed = impl_->exec(sql::renew, {partition_text, std::to_string(epoch),
                                          std::to_string(impl_->opt.lease.count())});
  if (!renewed)
    return renewed.error();
  if (PQntuples(renewed->get()) == 1)
    return lease_from(renewed->get(), true);
  return lease();
}

outcome<lease_info> postgres_store::lease() {
  auto row = impl_->exec(sql::lease, {partition_text});
  if (!row)
    return row.error();
  return lease_from(row->get(), false);
}

status postgres_store::release(std::uint64_t epoch) {
  if (auto ok = impl_->exec(sql::release, {partition_text, std::to_string(epoch)}); !ok)
    return ok.error();
  return done{};
}

outcome<std::uint64_t> postgres_store::count() {
  auto row = impl_->exec(sql::count, {partition_text});
  if (!row)
    return row.error();
  const auto n = to_int(PQgetvalue(row->get(), 0, 0));
  if (!n)
    return fail(errc::storage_failure, "cannot count the stored timeouts");
  return static_cast<std::uint64_t>(*n);
}

namespace {

outcome<timeout> timeout_from_row(const PGresult* r, int row) {
  const auto where = [&] { return "stored timeout " + std::string{PQgetvalue(r, row, 0)}; };
  auto tok = token::parse(PQgetvalue(r, row, 0));
  const auto deadline = to_int(PQgetvalue(r, row, 3));
  const auto interval = to_int(PQgetvalue(r, row, 4));
  const auto misfire = parse_misfire(PQgetvalue(r, row, 5));
  auto payload = from_bytea({PQgetvalue(r, row, 6), static_cast<std::size_t>(PQgetlength(r, row, 6))});
  if (!tok)
    return fail(errc::storage_failure, where() + ": not a chronos token");
  if (!deadline || *deadline < 0 || *deadline > max_deadline_ms || !interval || *interval < 0)
    return fail(errc::storage_failure, where() + ": deadline_ms or interval_ms out of range");
  if (!misfire)
    return fail(errc::storage_failure, where() + ": unknown misfire policy");
  if (!payload)
    return fail(errc::storage_failure, where() + ": payload is not bytea");
  const auto text_or_null = [&](int column) -> std::optional<std::string> {
    if (PQgetisnull(r, row, column))
      return std::nullopt;
    return std::string{PQgetvalue(r, row, column)};
  };
  auto calendar = detail::stored_calendar(text_or_null(8), text_or_null(9));
  if (!calendar)
    return fail(errc::storage_failure, where() + ": " + calendar.error().detail);
  if (*calendar && *interval != 0)
    return fail(errc::storage_failure, where() + ": a calendar schedule and a repeat interval");
  const auto jitter = to_int(PQgetvalue(r, row, 10));
  const auto delay = to_int(PQgetvalue(r, row, 11));
  const auto prev = to_int(PQgetvalue(r, row, 12));
  if (!jitter || *jitter < 0 || *jitter > max_jitter.count() || !delay || *delay < 0
      || (*delay > 0 && *delay >= *jitter) || *deadline > max_deadline_ms - *delay)
    return fail(errc::storage_failure, where() + ": jitter_ms or delay_ms out of range");
  if (!prev || *prev < 0 || *prev > max_deadline_ms)
    return fail(errc::storage_failure, where() + ": prev_ms out of range");
  return timeout{from_epoch_ms(*deadline), *tok, PQgetvalue(r, row, 2), std::move(*payload),
                 millis{*interval}, *misfire, PQgetvalue(r, row, 7), std::move(*calendar),
                 millis{*jitter}, millis{*delay}, from_epoch_ms(*prev)};
}

} // namespace

status postgres_store::load(snapshot_sink& into) {
  const auto deadline = impl_->patient_deadline();
  auto conn = pg_connection::connect(impl_->opt.url, deadline);
  if (!conn)
    return conn.error();
  for (const char* step : {"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"})
    if (auto ok = conn->exec(step, deadline); !ok)
      return ok.error();
  auto n = conn->exec(sql::count, {partition_text}, deadline);
  if (!n)
    return n.error();
  const auto about = to_int(PQgetvalue(n->get(), 0, 0)).value_or(0);
  into.begin(floor_ms(std::chrono::system_clock::now()), 0, static_cast<std::size_t>(about));
  if (auto ok = conn->exec(sql::load_cursor + partition_text, deadline); !ok)
    return ok.error();
  if (auto ok = conn->send(sql::load_fetch, {}, impl_->patient_deadline()); !ok)
    return ok;
  for (;;) {
    auto rows = conn->receive(impl_->patient_deadline());
    if (!rows)
      return rows.error();
    const int count = PQntuples(rows->get());
    if (count == 0)
      break;
    // The next piece is asked for first: the server makes it while these
    // rows are read.
    if (auto ok = conn->send(sql::load_fetch, {}, impl_->patient_deadline()); !ok)
      return ok;
    for (int i = 0; i < count; ++i) {
      auto t = timeout_from_row(rows->get(), i);
      if (!t)
        return t.error();
      const bool parked = std::string_view{PQgetvalue(rows->get(), i, 1)} == "t";
      if (auto ok = into.add(std::move(*t), parked ? snapshot_list::parked : snapshot_list::pending);
          !ok)
        return ok;
    }
  }
  // Each step its own deadline: the whole may take longer than one.
  if (auto ok = conn->exec("COMMIT", impl_->patient_deadline()); !ok)
    return ok.error();
  return done{};
}

status postgres_store::import(const snapshot_source& from, std::uint64_t epoch) {
  const auto deadline = impl_->patient_deadline();
  auto conn = pg_connection::connect(impl_->opt.url, deadline);
  if (!conn)
    return conn.error();
  if (auto ok = conn->exec("BEGIN", deadline); !ok)
    return ok.error();
  auto stored = conn->exec(sql::count, {partition_text}, deadline);
  if (!stored)
    return stored.error();
  if (std::string_view{PQgetvalue(stored->get(), 0, 0)} != "0")
    return fail(errc::invalid_argument, "the store is not empty: it holds "
                                          + std::string{PQgetvalue(stored->get(), 0, 0)}
                                          + " timeouts; import only into an empty one");
  auto lease_row = conn->exec(sql::lease, {partition_text}, deadline);
  if (!lease_row)
    return lease_row.error();
  const std::string batches = PQgetvalue(lease_row->get(), 0, 4);
  status result{done{}};
  std::string batch;
  std::size_t in_batch = 0;
  const auto flush_batch = [&] {
    if (in_batch == 0 || !result)
      return;
    auto ok = conn->exec(sql::apply, {partition_text, std::to_string(epoch), batches,
                                      json_array(batch)}, impl_->patient_deadline());
    if (!ok)
      result = ok.error();
    batch.clear();
    in_batch = 0;
  };
  for (auto list : {snapshot_list::pending, snapshot_list::parked})
    from.for_each(list, [&](const timeout& t) {
      change c{list == snapshot_list::parked ? change::op::park : change::op::schedule, t.token,
               t, {}, {}};
      encode_change(batch, c);
      if (++in_batch == 10000)
        flush_batch();
    });
  flush_batch();
  if (!result)
    return result;
  // Each step its own deadline: the whole may take longer than one.
  if (auto ok = conn->exec("COMMIT", impl_->patient_deadline()); !ok)
    return ok.error();
  return done{};
}

outcome<std::shared_ptr<change_log>> postgres_store::open_log(std::uint64_t epoch) {
  auto conn = pg_connection::connect(impl_->opt.url, impl_->patient_deadline());
  if (!conn)
    return conn.error();
  auto row = conn->exec(sql::lease, {partition_text}, impl_->patient_deadline());
  if (!row)
    return row.error();
  auto current = lease_from(row->get(), false);
  if (!current)
    return current.error();
  if (current->epoch != epoch)
    return fail(errc::storage_failure, "the lease of epoch " + std::to_string(epoch)
                                         + " has been taken over (epoch "
                                         + std::to_string(current->epoch) + ")");
  const auto batches = to_int(PQgetvalue(row->get(), 0, 4)).value_or(0);
  auto log = std::make_shared<postgres_log>(impl_->opt, epoch, static_cast<std::uint64_t>(batches),
                                            std::move(*conn));
  if (auto ok = log->set_commit_mode(); !ok)
    return ok.error();
  return std::shared_ptr<change_log>{std::move(log)};
}

std::string redacted_url(const std::string& url) { return detail::redacted(url); }

} // namespace chronos
