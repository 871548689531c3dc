// The lease keeper against a real PostgreSQL server: it takes a free lease,
// renews it, reports it lost when another takes it, and stands by meanwhile.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "../support/postgres_server.hpp"
#include "server/lease_keeper.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

// What the keeper reported, in order, from its thread.
struct reports {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> seen;

  void add(std::string what) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      seen.push_back(std::move(what));
    }
    cv.notify_all();
  }

  // Waits until a report starts with `prefix`; the report, or "" after `limit`.
  std::string await(const std::string& prefix, std::chrono::milliseconds limit = 20s) {
    std::unique_lock<std::mutex> lock{mtx};
    std::string found;
    cv.wait_for(lock, limit, [&] {
      for (const auto& s : seen)
        if (s.rfind(prefix, 0) == 0) {
          found = s;
          return true;
        }
      return false;
    });
    return found;
  }
};

lease_keeper::callbacks recording(reports& r) {
  lease_keeper::callbacks cb;
  cb.lead = [&r](const lease_info& l, lease_keeper::steady_time until) {
    r.add("lead " + std::to_string(l.epoch)
          + (until > std::chrono::steady_clock::now() ? " valid" : " lapsed"));
  };
  cb.renewed = [&r](const lease_info& l, lease_keeper::steady_time) {
    r.add("renewed " + std::to_string(l.epoch));
  };
  cb.lost = [&r](std::uint64_t epoch, std::string why) {
    r.add("lost " + std::to_string(epoch) + ": " + why);
  };
  cb.standing_by = [&r](lease_info l) { r.add("standby " + l.holder + " " + std::to_string(l.epoch)); };
  return cb;
}

postgres_store open_store(const postgres_server& pg, const std::string& holder,
                          millis lease = millis{900}) {
  auto store = postgres_store::open({pg.url(), lease, holder, holder + ":1", durability::always});
  INFO((store ? "" : store.error().detail));
  REQUIRE(store);
  return std::move(*store);
}

} // namespace

TEST_CASE("lease keeper: takes a free lease, renews it, and gives it up when it stops") {
  postgres_server pg;
  reports r;
  {
    lease_keeper keeper{open_store(pg, "a"), recording(r)};
    CHECK(r.await("lead 1") == "lead 1 valid");
    CHECK_FALSE(r.await("renewed 1").empty());
    CHECK(pg.query("SELECT holder FROM chronos_lease") == "a");
  }
  // Given up on destruction: taken at once, without waiting for it to expire.
  auto other = open_store(pg, "b");
  auto taken = other.try_acquire();
  REQUIRE(taken);
  CHECK(taken->held);
  CHECK(taken->epoch == 2);
}

TEST_CASE("lease keeper: a standby reports who leads, and leads once the lease is free") {
  postgres_server pg;
  auto holder = open_store(pg, "a");
  REQUIRE(holder.try_acquire()->held);
  reports r;
  lease_keeper keeper{open_store(pg, "b"), recording(r)};
  CHECK(r.await("standby") == "standby a 1");
  REQUIRE(holder.release(1));
  CHECK(r.await("lead 2") == "lead 2 valid");
}

TEST_CASE("lease keeper: a standby takes an expiring lease as it expires, not a turn later") {
  postgres_server pg;
  constexpr millis lease{6000};
  auto holder = open_store(pg, "a", lease);
  REQUIRE(holder.try_acquire()->held); // and never renewed
  const auto taken = std::chrono::steady_clock::now();
  auto seen = holder.lease();
  REQUIRE(seen);
  CHECK(seen->remaining > millis{5000});
  CHECK(seen->remaining <= lease);
  std::this_thread::sleep_for(lease / 2);
  // Its turns every 2 s would come at 3, 5 and 7 s; the lease ends at 6 s.
  reports r;
  lease_keeper keeper{open_store(pg, "b", lease), recording(r)};
  CHECK(r.await("standby") == "standby a 1");
  CHECK(r.await("lead 2") == "lead 2 valid");
  const auto after = std::chrono::steady_clock::now() - taken;
  CHECK(after >= lease);                // never before it expired
  CHECK(after < lease + millis{1000}); // not 7 s
}

TEST_CASE("lease keeper: a lease another takes is reported lost, then it stands by") {
  postgres_server pg;
  reports r;
  lease_keeper keeper{open_store(pg, "a"), recording(r)};
  REQUIRE_FALSE(r.await("lead 1").empty());
  // Another takes it over (as if it had expired while `a` was paused).
  pg.query("UPDATE chronos_lease SET epoch = 2, holder = 'b', "
           "expires_at = clock_timestamp() + interval '1 hour'");
  const auto lost = r.await("lost 1");
  CHECK(lost.find("another chronosd took the lease (epoch 2)") != std::string::npos);
  CHECK(r.await("standby b 2") == "standby b 2");
}

TEST_CASE("lease keeper: a leader that cannot reach the store reports the lease lost in time") {
  postgres_server pg;
  reports r;
  lease_keeper keeper{open_store(pg, "a"), recording(r)};
  REQUIRE_FALSE(r.await("lead 1").empty());
  const auto cut = std::chrono::steady_clock::now();
  pg.stop_now();
  const auto lost = r.await("lost 1", 30s);
  CHECK(lost.find("could not be renewed in time") != std::string::npos);
  // Within the lease and one renewal's wait, not minutes.
  CHECK(std::chrono::steady_clock::now() - cut < 10s);
}

TEST_CASE("lease keeper: stepping down gives the lease up for others to take") {
  postgres_server pg;
  reports r;
  lease_keeper keeper{open_store(pg, "a"), recording(r)};
  REQUIRE_FALSE(r.await("lead 1").empty());
  keeper.step_down(1);
  // Released, then taken again by whoever asks first: here the keeper itself.
  CHECK(r.await("lead 2") == "lead 2 valid");
}
