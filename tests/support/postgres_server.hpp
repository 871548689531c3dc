#pragma once

// A private PostgreSQL server for one test: initdb and pg_ctl in a temp
// folder, listening on 127.0.0.1 and a free port, removed afterwards.
// PostgreSQL refuses to run as root, so when the tests do (CI does) the
// server runs as the `postgres` user that Debian's package creates.

#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <pwd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "loopback.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

namespace chronos::test {

class postgres_server {
public:
  postgres_server() {
    bin_ = find_bin_dir();
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      REQUIRE(pw != nullptr); // installed with postgresql-15 (tools/setup.sh)
      REQUIRE(::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) == 0);
      as_user_ = {"runuser", "-u", "postgres", "--"};
    }
    const auto init = run(command({bin_ + "/initdb", "-D", data(), "-A", "trust", "-U", "chronos",
                                   "-E", "UTF8", "--locale=C", "--no-sync"}),
                          dir_, std::chrono::seconds{60});
    INFO(init.out << init.err);
    REQUIRE(init.status == 0);
    start();
    exec("postgres", "CREATE DATABASE chronos");
  }

  ~postgres_server() { stop_now(); }

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// Starts the server (again), on the same port when it ran before.
  void start() {
    if (port_ == 0)
      port_ = free_port();
    const auto started = run(command({bin_ + "/pg_ctl", "-D", data(), "-l", log(), "-w", "-t", "60",
                                      "-o", options(), "start"}),
                             dir_, std::chrono::seconds{90});
    INFO(started.out << started.err << slurp(log()));
    REQUIRE(started.status == 0);
    running_ = true;
  }

  /// Stops it at once, as a crash would (what is committed stays).
  void stop_now() {
    if (!running_)
      return;
    run(command({bin_ + "/pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop"}), dir_,
        std::chrono::seconds{60});
    running_ = false;
  }

  std::uint16_t port() const { return port_; }

  /// A URL for the database `db`.
  std::string url(const std::string& db = "chronos") const {
    return "postgresql://chronos@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  /// Runs `sql` in `db`; the first row's first value ("" when none).
  std::string exec(const std::string& db, const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn{PQconnectdb(url(db).c_str()), &PQfinish};
    INFO(PQerrorMessage(conn.get()));
    REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, decltype(&PQclear)> r{PQexec(conn.get(), sql.c_str()), &PQclear};
    const auto status = PQresultStatus(r.get());
    INFO(sql << ": " << PQresultErrorMessage(r.get()));
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
    return PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  }

  /// Runs `sql` in the chronos database.
  std::string query(const std::string& sql) const { return exec("chronos", sql); }

private:
  static std::string find_bin_dir() {
    if (const char* env = std::getenv("CHRONOS_PG_BIN"))
      return env;
    std::string best;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql"))
      if (std::filesystem::exists(entry.path() / "bin" / "initdb")
          && entry.path().string() > best)
        best = entry.path().string();
    REQUIRE_FALSE(best.empty()); // postgresql-15 (tools/setup.sh)
    return best + "/bin";
  }

  static std::uint16_t free_port() {
    socket_fd s{::socket(AF_INET, SOCK_STREAM, 0)};
    auto address = loopback_address(0);
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t len = sizeof address;
    REQUIRE(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&address), &len) == 0);
    return ntohs(address.sin_port);
  }

  std::vector<std::string> command(std::vector<std::string> args) const {
    auto out = as_user_;
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }

  std::string options() const {
    return "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_)
           + " -c unix_socket_directories=" + dir_.path().string()
           + " -c fsync=off -c max_connections=40 -c shared_buffers=16MB";
  }

  std::string data() const { return dir_.file("data"); }
  std::string log() const { return dir_.file("postgres.log"); }

  temp_dir dir_;
  std::string bin_;
  std::vector<std::string> as_user_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

} // namespace chronos::test
