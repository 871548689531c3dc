#include <catch2/catch.hpp>

#include "chronos/detail/server_state.hpp"
#include "chronos/server/namespaces.hpp"

using namespace chronos;

TEST_CASE("a name is directly in the namespace before its last slash") {
  CHECK(namespace_of("billing/eu/invoice-42") == "billing/eu");
  CHECK(namespace_of("billing/invoice-42") == "billing");
  CHECK(namespace_of("invoice-42") == "");
  CHECK(namespace_of("/x") == "");
}

TEST_CASE("a selector covers its name, or everything below its namespace") {
  CHECK(covers("billing/invoice-42", "billing/invoice-42"));
  CHECK_FALSE(covers("billing/invoice-4", "billing/invoice-42"));
  CHECK(covers("billing/", "billing/invoice-42"));
  CHECK(covers("billing/", "billing/eu/invoice-42"));
  CHECK(covers("billing/eu/", "billing/eu/invoice-42"));
  CHECK_FALSE(covers("billing/eu/", "billing/invoice-42"));
  CHECK_FALSE(covers("billing/", "billing"));
  CHECK_FALSE(covers("bill/", "billing/invoice-42"));
  CHECK_FALSE(covers("billing/", "billingx/invoice-42"));
  CHECK(covers("", "anything/at/all"));
  CHECK(is_namespace("billing/"));
  CHECK_FALSE(is_namespace("billing"));
  CHECK_FALSE(is_namespace(""));
}

TEST_CASE("names may not end in a slash, selectors are names, namespaces or empty") {
  const server_limits limits{8, 4, 100};
  CHECK_FALSE(check_name("billing/", limits));
  CHECK(check_name("a/b", limits));
  CHECK(check_selector("", limits));
  CHECK(check_selector("a/b", limits));
  CHECK(check_selector("a/b/", limits));
  for (const std::string bad : {"/", "a//", "a\xff/", "much-too-long/"}) {
    INFO(bad);
    auto ok = check_selector(bad, limits);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == errc::invalid_argument);
    CHECK(ok.error().detail.find("namespace '" + bad + "'") == 0);
  }
}
