#include "store/postgres/pg_connection.hpp"

#include <poll.h>

#include <array>

namespace chronos::detail {

namespace {

using std::chrono::steady_clock;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

int millis_until(pg_deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                          - steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
}

// Waits on `conn`'s socket; false when the deadline passed first.
bool wait_socket(PGconn* conn, short events, pg_deadline deadline) {
  pollfd pfd{PQsocket(conn), events, 0};
  for (;;) {
    const int left = millis_until(deadline);
    const int n = ::poll(&pfd, 1, left);
    if (n > 0)
      return true;
    if (n == 0 || left == 0)
      return false;
    if (errno != EINTR)
      return true; // let libpq report the socket's error
  }
}

std::string sqlstate_of(const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

} // namespace

outcome<pg_connection> pg_connection::connect(const std::string& url, pg_deadline deadline) {
  // The URL's own settings come last, so they win over these defaults.
  const std::array<const char*, 3> keys{"application_name", "dbname", nullptr};
  const std::array<const char*, 3> values{"chronosd", url.c_str(), nullptr};
  pg_connection c{PQconnectStartParams(keys.data(), values.data(), 1)};
  PGconn* conn = c.conn_.get();
  if (conn == nullptr)
    return fail(errc::storage_failure, "cannot connect to the database: out of memory");
  if (PQstatus(conn) == CONNECTION_BAD)
    return fail(errc::storage_failure,
                "cannot connect to the database: " + trimmed(PQerrorMessage(conn)));
  for (auto poll = PGRES_POLLING_WRITING; poll != PGRES_POLLING_OK;) {
    if (poll == PGRES_POLLING_FAILED)
      return fail(errc::storage_failure,
                  "cannot connect to the database: " + trimmed(PQerrorMessage(conn)));
    if (!wait_socket(conn, poll == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline))
      return fail(errc::storage_failure,
                  "cannot connect to the database: no answer from "
                    + std::string{PQhost(conn) ? PQhost(conn) : "?"} + " in time");
    poll = PQconnectPoll(conn);
  }
  // The server's notices (a warning, a shutdown under way) are not errors:
  // what matters comes back with the statement that failed.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(conn, 1) != 0)
    return fail(errc::storage_failure, "cannot use the database connection: "
                                         + trimmed(PQerrorMessage(conn)));
  return c;
}

bool pg_connection::ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

bool pg_connection::in_failed_transaction() const {
  return ok() && PQtransactionStatus(conn_.get()) == PQTRANS_INERROR;
}

failure pg_connection::broken(std::string why) {
  last_ = {fail(errc::storage_failure, std::move(why)), pg_outcome::unknown, ""};
  conn_.reset();
  return last_.error;
}

bool pg_connection::wait_for(short events, pg_deadline deadline) const {
  return wait_socket(conn_.get(), events, deadline);
}

outcome<pg_result> pg_connection::exec(const std::string& sql, const pg_params& params,
                                       pg_deadline deadline) {
  if (auto ok = send(sql, params, deadline); !ok)
    return ok.error();
  return receive(deadline);
}

status pg_connection::send(const std::string& sql, const pg_params& params,
                           pg_deadline deadline) {
  if (!ok())
    return broken("the database connection is closed");
  PGconn* conn = conn_.get();
  int sent = 0;
  if (params.empty()) {
    sent = PQsendQuery(conn, sql.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params)
      values.push_back(p ? p->c_str() : nullptr);
    sent = PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  }
  if (sent != 1)
    return broken("cannot send to the database: " + trimmed(PQerrorMessage(conn)));
  // Sending may need the socket to drain; reading meanwhile keeps the
  // server from blocking on its own output.
  for (int left = PQflush(conn); left != 0; left = PQflush(conn)) {
    if (left < 0 || !wait_for(POLLOUT | POLLIN, deadline))
      return broken(left < 0 ? "cannot send to the database: " + trimmed(PQerrorMessage(conn))
                             : std::string{"the database did not take the statement in time"});
    if (PQconsumeInput(conn) != 1)
      return broken("lost the database connection: " + trimmed(PQerrorMessage(conn)));
  }
  return done{};
}

outcome<pg_result> pg_connection::receive(pg_deadline deadline) {
  if (!ok())
    return broken("the database connection is closed");
  PGconn* conn = conn_.get();
  pg_result last;
  std::optional<pg_failure> refused;
  for (;;) {
    while (PQisBusy(conn)) {
      if (!wait_for(POLLIN, deadline))
        return broken("no answer from the database in time");
      if (PQconsumeInput(conn) != 1)
        return broken("lost the database connection: " + trimmed(PQerrorMessage(conn)));
    }
    pg_result r{PQgetResult(conn)};
    if (!r)
      break;
    const auto state = PQresultStatus(r.get());
    if (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK && !refused)
      refused = pg_failure{fail(errc::storage_failure, trimmed(PQresultErrorMessage(r.get()))),
                           pg_outcome::refused, sqlstate_of(r.get())};
    last = std::move(r);
  }
  if (PQstatus(conn) != CONNECTION_OK)
    return broken("lost the database connection: " + trimmed(PQerrorMessage(conn)));
  if (refused) {
    last_ = std::move(*refused);
    return last_.error;
  }
  return last;
}

std::string redacted(std::string_view url) {
  std::string out{url};
  // postgresql://user:secret@host/db
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at)
        out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&... and password=secret in key=value strings
  for (std::size_t p = out.find("password="); p != std::string::npos;
       p = out.find("password=", p + 1)) {
    const auto start = p + 9;
    auto end = out.find_first_of("& ", start);
    if (end == std::string::npos)
      end = out.size();
    out.replace(start, end - start, "***");
  }
  return out;
}

} // namespace chronos::detail
