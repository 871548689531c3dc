#include "chronos/net/transport.hpp"

#include <arpa/inet.h>
#include <cstdio>
#include <memory>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/bounded_multiplexer.hpp"

namespace chronos {

namespace {

// The oldest queued OpenSSL error, as text ("" when there is none).
std::string openssl_error() {
  const auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return std::string{": "} + text;
}

failure bad_tls(const std::string& what) { return {errc::invalid_argument, what}; }

std::optional<failure> check_readable(const char* role, const std::string& path) {
  if (path.empty())
    return bad_tls(std::string{"TLS needs a certificate, a key and a CA: the "} + role
                   + " is missing");
  std::unique_ptr<FILE, int (*)(FILE*)> file{std::fopen(path.c_str(), "r"), &std::fclose};
  if (!file)
    return bad_tls(std::string{"cannot read the TLS "} + role + " '" + path + "'");
  return std::nullopt;
}

// CAF reads the files anew for each connection and cannot report a bad one
// then: load them the same way once, here, where the failure can be named.
std::optional<failure> check_files(const tls_config& tls) {
  for (auto [role, path] : {std::pair{"certificate", &tls.certificate},
                            std::pair{"key", &tls.key}, std::pair{"CA", &tls.ca}})
    if (auto bad = check_readable(role, *path))
      return bad;
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx{SSL_CTX_new(TLS_method()), &SSL_CTX_free};
  if (!ctx)
    return bad_tls("cannot create a TLS context" + openssl_error());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certificate.c_str()) != 1)
    return bad_tls("'" + tls.certificate + "' is not a PEM certificate" + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1
      && ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH)
    return bad_tls("'" + tls.key + "' is not an unencrypted PEM private key" + openssl_error());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return bad_tls("the key '" + tls.key + "' does not belong to the certificate '"
                   + tls.certificate + "'" + openssl_error());
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
    return bad_tls("'" + tls.ca + "' is not a PEM CA certificate" + openssl_error());
  return std::nullopt;
}

} // namespace

caf::actor_system_config& load_middleman(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  return cfg.set("middleman.workers", std::size_t{0});
}

caf::actor_system_config& load_serving_middleman(caf::actor_system_config& cfg,
                                                 const server_limits& limits,
                                                 std::chrono::milliseconds handshake_timeout) {
  caf::put(cfg.content, detail::handshake_timeout_key,
           static_cast<std::int64_t>(handshake_timeout.count()));
  caf::put(cfg.content, detail::max_message_bytes_key,
           static_cast<std::int64_t>(limits.max_message_bytes));
  caf::put(cfg.content, detail::max_message_total_key,
           static_cast<std::int64_t>(limits.max_message_total));
  cfg.load<caf::io::middleman, detail::bounded_multiplexer>();
  return cfg.set("middleman.workers", std::size_t{0});
}

std::optional<failure> use_tls(caf::actor_system_config& cfg, const tls_config& tls) {
  if (auto bad = check_files(tls))
    return bad;
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
  cfg.load<caf::openssl::manager>();
  return std::nullopt;
}

caf::io::middleman_actor transport(caf::actor_system& sys) {
  return sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                   : sys.middleman().actor_handle();
}

caf::expected<std::uint16_t> publish(caf::actor_system& sys, const chronos_api& srv,
                                     const std::string& address, std::uint16_t port) {
  if (sys.has_openssl_manager())
    return caf::openssl::publish(srv, port, address.c_str(), true);
  return sys.middleman().publish(srv, port, address.c_str(), true);
}

bool is_loopback(const std::string& address) {
  if (address == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

} // namespace chronos
