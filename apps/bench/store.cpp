#include "store.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <thread>

#include "chronos/detail/server_state.hpp"
#include "chronos/server/server.hpp"
#include "chronos/store/postgres_store.hpp"
#include "harness.hpp"

namespace chronos::bench {

namespace {

using conn_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using result_ptr = std::unique_ptr<PGresult, decltype(&PQclear)>;

postgres_options store_options(const std::string& url, durability mode) {
  postgres_options opt;
  opt.url = url;
  opt.lease = bench_lease();
  opt.holder = "chronos-bench";
  opt.address = "127.0.0.1:0";
  opt.mode = mode;
  return opt;
}

// Runs `sql` on a connection of its own, within 10 s to connect and 10 min
// to run; throws on failure.
void run_sql(const std::string& url, const char* sql) {
  const char* keys[] = {"dbname", "connect_timeout", "options", nullptr};
  const char* values[] = {url.c_str(), "10", "-c statement_timeout=600000", nullptr};
  conn_ptr conn{PQconnectdbParams(keys, values, 1), &PQfinish};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error{"cannot connect to " + redacted_url(url) + ": "
                             + PQerrorMessage(conn.get())};
  result_ptr r{PQexec(conn.get(), sql), &PQclear};
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    throw std::runtime_error{std::string{sql} + ": " + PQerrorMessage(conn.get())};
}

} // namespace

std::chrono::milliseconds bench_lease() { return postgres_options{}.lease; }

std::string await_role(caf::actor_system& sys, const chronos_api& srv, const std::string& role,
                       std::chrono::seconds within) {
  caf::scoped_actor self{sys};
  const auto until = std::chrono::steady_clock::now() + within;
  std::string seen;
  for (;;) {
    self->request(srv, std::chrono::seconds{5}, stats_atom::value)
      .receive([&](stats_info& s) { seen = s.role; }, [&](caf::error&) { seen.clear(); });
    if (seen == role || std::chrono::steady_clock::now() > until)
      return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

chronos_api spawn_leader(caf::actor_system& sys, const std::string& url, durability mode,
                         std::chrono::seconds within) {
  server_config config;
  config.mode = mode;
  config.postgres = store_options(url, mode);
  auto srv = spawn_server(sys, config);
  if (!srv)
    throw std::runtime_error{"cannot open the store: " + srv.error().detail};
  if (await_role(sys, *srv, "leader", within) != "leader") {
    caf::anon_send_exit(*srv, caf::exit_reason::kill);
    throw std::runtime_error{"no lead of the store within " + std::to_string(within.count())
                             + " s (does another chronosd hold its lease?)"};
  }
  return *srv;
}

void empty_store(const std::string& url) {
  // Opening creates or migrates the tables, so that the DELETE finds them.
  auto store = postgres_store::open(store_options(url, durability::always));
  if (!store)
    throw std::runtime_error{"cannot open the store: " + store.error().detail};
  run_sql(url, "TRUNCATE chronos_timeouts");
}

void fill_store(const std::string& url, const snapshot& from) {
  empty_store(url);
  server_state held;
  if (auto ok = held.restore(from); !ok)
    throw std::runtime_error{"backlog: " + ok.error().detail};
  auto store = postgres_store::open(store_options(url, durability::always));
  if (!store)
    throw std::runtime_error{"cannot open the store: " + store.error().detail};
  auto lease = store->try_acquire();
  if (!lease || !lease->held)
    throw std::runtime_error{"cannot take the store's lease to fill it"};
  auto imported = store->import(held, lease->epoch);
  store->release(lease->epoch);
  if (!imported)
    throw std::runtime_error{"cannot fill the store: " + imported.error().detail};
}

} // namespace chronos::bench
