// Bulk requests through the chronos actor: many tokens, names and namespaces.

#include "../support/actor_fixture.hpp"

using namespace chronos;
using namespace std::chrono_literals;

TEST_CASE_METHOD(test::actor_fixture, "cancelling a namespace re-arms for what is left") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "billing/a", client);
  register_name(srv, "other", client);
  schedule(srv, "billing/a", 100, "b1");
  schedule(srv, "billing/eu/b", 150, "b2", 10);
  schedule(srv, "other", 200, "kept");
  auto n = call<std::uint64_t>(srv, cancel_atom::value, name_selector{"billing/"});
  REQUIRE(n);
  CHECK(*n == 2);
  advance(1s);
  CHECK(test::payloads(box) == std::vector<std::string>{"kept"});
  CHECK(stats(srv).cancelled == 2);
  auto none = call<std::uint64_t>(srv, cancel_atom::value, name_selector{"billing/"});
  REQUIRE(none);
  CHECK(*none == 0);
}

TEST_CASE_METHOD(test::actor_fixture, "a batch of cancels removes all its tokens or none") {
  auto srv = start();
  auto a = schedule(srv, "w", 100);
  auto b = schedule(srv, "w", 200);
  auto c = schedule(srv, "w", 300);
  auto refused = call<caf::ok_atom>(srv, cancel_atom::value, std::vector<std::string>{a, "nope"});
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == errc::unknown_token);
  CHECK(describe(refused.error()) == "request 1: unknown token 'nope'");
  CHECK(stats(srv).pending == 3);
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, std::vector<std::string>{c, a}));
  auto left = call<timeout_list>(srv, list_atom::value);
  REQUIRE(left);
  REQUIRE(left->size() == 1);
  CHECK(left->at(0).token == b);
}

TEST_CASE_METHOD(test::actor_fixture, "a batch's token list cancels as it came back") {
  auto srv = start();
  const schedule_request one{"w", when_spec::in(100), "", 0};
  auto toks = call<token_list>(srv, schedule_atom::value, std::vector<schedule_request>(4, one));
  REQUIRE(toks);
  REQUIRE(toks->size() == 4);
  token_list some;
  some.push_back((*toks)[2]);
  some.push_back((*toks)[0]);
  some.push_back((*toks)[2]);
  auto twice = call<caf::ok_atom>(srv, cancel_atom::value, some);
  REQUIRE_FALSE(twice);
  CHECK(describe(twice.error()) == "request 2: token '" + std::string{(*toks)[2]} + "' given twice");
  some = token_list{};
  some.push_back((*toks)[3]);
  some.push_back((*toks)[0]);
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, some));
  auto left = call<timeout_list>(srv, list_atom::value);
  REQUIRE(left);
  REQUIRE(left->size() == 2);
  CHECK(left->at(0).token == (*toks)[1]);
  CHECK(left->at(1).token == (*toks)[2]);
}

TEST_CASE_METHOD(test::actor_fixture, "a token list that travelled as a shorter text is refused whole") {
  auto srv = start();
  auto a = schedule(srv, "w", 100);
  // What a peer could send: a list's text that ends in part of a token.
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(std::string{a + "0123"}));
  token_list cut;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(cut));
  CHECK_FALSE(cut.whole());
  auto refused = call<caf::ok_atom>(srv, cancel_atom::value, cut);
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == errc::invalid_argument);
  CHECK(describe(refused.error()) == "a token list must hold whole tokens of 29 characters");
  CHECK(stats(srv).pending == 1);
}

TEST_CASE_METHOD(test::actor_fixture, "list and count take a namespace, a bad selector is an error") {
  auto srv = start();
  schedule(srv, "billing/a", 100);
  schedule(srv, "billing/eu/b", 50);
  schedule(srv, "billingx", 10);
  advance(60ms); // billingx and billing/eu/b park: nobody holds them
  auto rows = call<timeout_list>(srv, list_atom::value, std::string{"billing/"});
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK(rows->at(0).name == "billing/eu/b");
  CHECK(rows->at(0).parked);
  CHECK(rows->at(1).name == "billing/a");
  auto n = call<timeout_count>(srv, count_atom::value, name_selector{"billing/"});
  REQUIRE(n);
  CHECK(*n == timeout_count{1, 1});
  for (const std::string bad : {"/", "a//"}) {
    auto listed = call<timeout_list>(srv, list_atom::value, bad);
    REQUIRE_FALSE(listed);
    CHECK(code_of(listed.error()) == errc::invalid_argument);
    auto counted = call<timeout_count>(srv, count_atom::value, name_selector{bad});
    REQUIRE_FALSE(counted);
    auto cancelled = call<std::uint64_t>(srv, cancel_atom::value, name_selector{bad});
    REQUIRE_FALSE(cancelled);
  }
  auto everything = call<std::uint64_t>(srv, cancel_atom::value, name_selector{""});
  REQUIRE_FALSE(everything);
  CHECK(stats(srv).pending + stats(srv).parked == 3);
}

TEST_CASE_METHOD(test::actor_fixture, "namespace gauges include the live names of each namespace") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "jobs/runner-1", client);
  register_name(srv, "mail/sender", client);
  schedule(srv, "jobs/runner-1", 100);
  schedule(srv, "jobs/runner-2", 100);
  auto all = call<std::vector<namespace_info>>(srv, stats_atom::value, name_selector{""});
  REQUIRE(all);
  CHECK(*all
        == std::vector<namespace_info>{{"jobs", 2, 1, 2, 0}, {"mail", 0, 1, 0, 0}});
  auto jobs = call<std::vector<namespace_info>>(srv, stats_atom::value, name_selector{"jobs/"});
  REQUIRE(jobs);
  CHECK(*jobs == std::vector<namespace_info>{{"jobs", 2, 1, 2, 0}});
}

TEST_CASE_METHOD(test::actor_fixture, "a name ending in a slash is refused") {
  auto srv = start();
  auto [client, box] = collector();
  auto reg = call<caf::ok_atom>(srv, register_atom::value, std::string{"billing/"}, client);
  REQUIRE_FALSE(reg);
  CHECK(code_of(reg.error()) == errc::invalid_argument);
  auto tok = call<std::string>(srv, schedule_atom::value,
                               schedule_request{"billing/", when_spec::in(5), "", 0});
  REQUIRE_FALSE(tok);
  CHECK(describe(tok.error()).find("ends in '/'") != std::string::npos);
}
