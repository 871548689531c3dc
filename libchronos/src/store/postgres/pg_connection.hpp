#pragma once

// One libpq connection, owned, with results as RAII handles and errors as
// outcomes. Not thread-safe: one thread uses a connection at a time (libpq's
// rule). Parameters travel as text; the caller formats them.

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/outcome.hpp"

namespace chronos::detail {

struct pg_result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, pg_result_deleter>;

/// A statement's text parameters; nullopt is SQL NULL.
using pg_params = std::vector<std::optional<std::string>>;

/// Every wait on the server ends by a deadline: a server that stopped
/// answering (a paused host, a cut link) costs a lease keeper no more time
/// than it has.
using pg_deadline = std::chrono::steady_clock::time_point;

/// What became of a statement whose connection failed under it.
enum class pg_outcome {
  /// Refused by the server: nothing of it took effect.
  refused,
  /// The connection broke or timed out: it may or may not have committed.
  unknown,
};

struct pg_failure {
  failure error;
  pg_outcome outcome = pg_outcome::refused;
  /// The server's SQLSTATE ("" when the connection failed).
  std::string sqlstate;
};

class pg_connection {
public:
  /// Connects to `url` (a libpq URI or key=value string) by `deadline`. The
  /// error names the server, never the password.
  static outcome<pg_connection> connect(const std::string& url, pg_deadline deadline);

  pg_connection(pg_connection&&) noexcept = default;
  pg_connection& operator=(pg_connection&&) noexcept = default;

  /// Runs one statement with text parameters $1, $2, ... by `deadline`. A
  /// connection that failed or timed out is closed: `ok()` is false after.
  outcome<pg_result> exec(const std::string& sql, const pg_params& params, pg_deadline deadline);
  /// `exec` in two halves, so that the caller can work while the server
  /// does: sends the statement, then, once the caller is ready, receives its
  /// result. One statement at a time.
  status send(const std::string& sql, const pg_params& params, pg_deadline deadline);
  outcome<pg_result> receive(pg_deadline deadline);

  /// Runs statements without parameters (schema scripts).
  outcome<pg_result> exec(const std::string& sql, pg_deadline deadline) {
    return exec(sql, {}, deadline);
  }

  /// The last failure's details (whether it may have taken effect).
  const pg_failure& last_failure() const { return last_; }

  /// True while the connection is usable.
  bool ok() const;

  /// True inside a transaction that failed: only ROLLBACK is taken.
  bool in_failed_transaction() const;

private:
  struct closer {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit pg_connection(PGconn* c) : conn_(c) {}

  failure broken(std::string why);
  bool wait_for(short events, pg_deadline deadline) const;

  std::unique_ptr<PGconn, closer> conn_;
  pg_failure last_;
};

/// A connection URL with its password, if any, replaced by "***": what a log
/// line may show.
std::string redacted(std::string_view url);

} // namespace chronos::detail
