// chronos-bench's workloads on a PostgreSQL store keep working: each once,
// tiny, on a private server, with their figures checked.

#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../support/postgres_server.hpp"
#include "../support/process.hpp"

using namespace chronos::test;
using json = nlohmann::json;

namespace {

// The figures chronos-bench printed (--json), by metric: every value of each.
std::multimap<std::string, json> bench(const postgres_server& pg, std::vector<std::string> args) {
  temp_dir dir;
  std::vector<std::string> argv{CHRONOS_BENCH_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--store", pg.url(), "--json"});
  auto r = run(argv, dir, std::chrono::seconds{240});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  std::multimap<std::string, json> figures;
  std::istringstream lines{r.out};
  for (std::string line; std::getline(lines, line);)
    if (auto f = json::parse(line, nullptr, false); f.is_object() && f.contains("metric"))
      figures.emplace(f["metric"].get<std::string>(), f);
  return figures;
}

} // namespace

TEST_CASE("chronos-bench durable --store: each mode, 1 to 64 clients, in-process and remote") {
  postgres_server pg;
  const auto figures = bench(pg, {"durable", "--n", "128"});
  CHECK(figures.count("store_acks_per_s") == 12); // 2 modes x 3 client counts x 2 ways
  for (auto [it, end] = figures.equal_range("store_acks_per_s"); it != end; ++it)
    CHECK(it->second["value"].get<double>() > 0);
  CHECK(pg.query("SELECT count(*) FROM chronos_timeouts") == "0"); // left empty
}

TEST_CASE("chronos-bench restore --store: a leader loads the store and delivers what is due") {
  postgres_server pg;
  const auto figures = bench(pg, {"restore", "--n", "2000"});
  REQUIRE(figures.count("restore_store_s") == 1);
  REQUIRE(figures.count("restore_store_overdue_s") == 1);
  CHECK(figures.find("restore_store_s")->second["value"].get<double>()
        <= figures.find("restore_store_overdue_s")->second["value"].get<double>());
}

TEST_CASE("chronos-bench failover: a standby takes over from a killed leader") {
  postgres_server pg;
  const auto figures = bench(pg, {"failover", "--n", "1000", "--chronosd", CHRONOSD_PATH});
  REQUIRE(figures.count("failover_s") == 1);
  // No sooner than the killed leader's lease could have run out (it was
  // renewed at most lease/3 before the kill), and well within its length
  // plus a load of a thousand.
  const auto took = figures.find("failover_s")->second["value"].get<double>();
  CHECK(took > 5.0 * 2 / 3 - 0.1);
  CHECK(took < 30);
}
