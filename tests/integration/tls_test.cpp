// TLS between chronosd and its clients, with a throwaway CA made by the
// openssl command at test time: a client with a certificate from the CA gets
// in, one without, or with another CA's, is refused, and chronosd serves on.

#include "../support/cli_fixture.hpp"
#include "../support/loopback.hpp"

using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

// Keys, certificates and two CAs in `dir`: NAME.key and NAME.pem.
struct pki {
  const temp_dir& dir;

  void openssl(std::vector<std::string> args) const {
    args.insert(args.begin(), "openssl");
    auto r = run(args, dir, 30s);
    INFO("openssl " << args[1] << ": " << r.err);
    REQUIRE(r.status == 0);
  }

  std::vector<std::string> new_key(const std::string& name) const {
    return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", dir.file(name + ".key"), "-subj", "/CN=chronos test " + name};
  }

  void make_ca(const std::string& name) const {
    auto args = new_key(name);
    args.insert(args.begin(), {"req", "-x509", "-days", "2"});
    args.insert(args.end(), {"-out", dir.file(name + ".pem")});
    openssl(args);
  }

  void make_certificate(const std::string& name, const std::string& ca) const {
    auto args = new_key(name);
    args.insert(args.begin(), "req");
    args.insert(args.end(), {"-out", dir.file(name + ".csr")});
    openssl(args);
    openssl({"x509", "-req", "-days", "2", "-in", dir.file(name + ".csr"), "-CA",
             dir.file(ca + ".pem"), "-CAkey", dir.file(ca + ".key"), "-CAcreateserial", "-out",
             dir.file(name + ".pem")});
  }

  /// The --tls-* options for a node holding NAME's certificate and trusting CA.
  std::vector<std::string> options(const std::string& name, const std::string& ca) const {
    return {"--tls-cert", dir.file(name + ".pem"), "--tls-key", dir.file(name + ".key"),
            "--tls-ca", dir.file(ca + ".pem")};
  }
};

struct tls_fixture {
  temp_dir dir;
  pki certs = [this] {
    pki p{dir};
    p.make_ca("ca");
    p.make_ca("other-ca");
    p.make_certificate("server", "ca");
    p.make_certificate("client", "ca");
    p.make_certificate("stranger", "other-ca");
    return p;
  }();
  chronosd_process d =
    chronosd_process::start(dir, dir.file("chronos.json"), 0, certs.options("server", "ca"));

  run_result ctl_as(std::vector<std::string> tls, std::vector<std::string> args,
                    std::chrono::milliseconds limit = 30s) {
    tls.insert(tls.end(), args.begin(), args.end());
    return ctl(dir, d.port, tls, limit);
  }

  run_result ctl_client(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) {
    return ctl_as(certs.options("client", "ca"), std::move(args), limit);
  }
};

// Connects to 127.0.0.1:`port`, sends bytes that are no TLS record, hangs up.
void send_garbage(std::uint16_t port) {
  const auto sock = connect_loopback(port);
  std::string junk(4096, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i)
    junk[i] = static_cast<char>(i * 7919 % 251);
  CHECK(::send(sock.get(), junk.data(), junk.size(), MSG_NOSIGNAL) > 0);
}

} // namespace

TEST_CASE_METHOD(tls_fixture, "TLS: a client with a certificate from the CA schedules, lists and watches") {
  auto scheduled = ctl_client({"schedule", "secure", "--in", "300ms", "--payload", "sealed"});
  INFO("chronosctl stderr: " << scheduled.err);
  REQUIRE(scheduled.status == 0);
  const auto token = trim(scheduled.out);
  auto listed = ctl_client({"list", "secure"});
  REQUIRE(listed.status == 0);
  CHECK(listed.out.find(token) != std::string::npos);
  // watch goes through the reconnecting client actor, the other connect path.
  auto watched = ctl_client({"watch", "secure", "--count", "1"}, 60s);
  INFO("watch stderr: " << watched.err);
  REQUIRE(watched.status == 0);
  CHECK(lines(watched.out) == std::vector<std::string>{token + " sealed"});
}

TEST_CASE_METHOD(tls_fixture, "TLS: peers without a certificate from the CA are refused, chronosd serves on") {
  const auto refused = [&](std::vector<std::string> tls, const char* who) {
    auto r = ctl_as(std::move(tls), {"schedule", "intruder", "--in", "1h"});
    INFO(who << ": " << r.err);
    CHECK(r.status == 3);
    CHECK(r.err.find("handshake failed") != std::string::npos);
  };
  refused({}, "no TLS at all");
  refused(certs.options("stranger", "other-ca"), "a certificate from another CA");
  refused(certs.options("stranger", "ca"), "another CA's certificate, trusting ours");
  // The client checks chronosd too: one that trusts another CA does not talk to it.
  refused(certs.options("client", "other-ca"), "a client trusting another CA");
  send_garbage(d.port);
  auto count = ctl_client({"count", "--json"});
  INFO("chronosctl stderr: " << count.err);
  REQUIRE(count.status == 0);
  CHECK(count.out.find("\"total\":0") != std::string::npos);
  CHECK(d.stop() == 0);
}

TEST_CASE("chronosd refuses unusable TLS files and plain TCP beyond loopback, naming why") {
  temp_dir dir;
  pki certs{dir};
  certs.make_ca("ca");
  certs.make_certificate("server", "ca");
  certs.make_certificate("other", "ca");
  const auto start = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CHRONOSD_PATH, "--port", "0", "--state", dir.file("c.json")});
    return run(args, dir, 20s);
  };
  const auto server = certs.options("server", "ca");
  SECTION("a key that is not the certificate's") {
    auto args = server;
    args[3] = dir.file("other.key");
    auto r = start(args);
    CHECK(r.status == 1);
    CHECK(r.err.find("does not belong to the certificate") != std::string::npos);
  }
  SECTION("a missing CA file") {
    auto args = server;
    args[5] = dir.file("absent.pem");
    auto r = start(args);
    CHECK(r.status == 1);
    CHECK(r.err.find("cannot read the TLS CA '" + dir.file("absent.pem") + "'") != std::string::npos);
  }
  SECTION("a certificate without the rest") {
    auto r = start({server[0], server[1]});
    CHECK(r.status == 1);
    CHECK(r.err.find("the key is missing") != std::string::npos);
  }
  SECTION("plain TCP on every address, unless allowed") {
    auto r = start({"--bind", "0.0.0.0"});
    CHECK(r.status == 2);
    CHECK(r.err.find("refusing to listen on '0.0.0.0' without TLS") != std::string::npos);
    r = start({"--plain-tcp", "everywhere"});
    CHECK(r.status == 2);
    CHECK(r.err.find("--plain-tcp needs loopback or any") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("c.json")));
}
