#include "bot/slack/tls.hpp"

#include <cstdlib>
#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace desk::bot::slack {
namespace {

void load_ca_file(boost::asio::ssl::context& ctx, const std::string& path, const char* origin) {
  boost::system::error_code ec;
  ctx.load_verify_file(path, ec);
  if (ec) throw std::runtime_error(std::string("cannot load CA file from ") + origin + ": " + path);
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& extra_ca_file) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_default_verify_paths();
  // set_default_verify_paths already honours SSL_CERT_FILE in place of the default bundle; loading it
  // again explicitly keeps the behaviour the same on builds where that lookup is compiled out.
  if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && *env != '\0') {
    load_ca_file(*ctx, env, "SSL_CERT_FILE");
  }
  if (!extra_ca_file.empty()) load_ca_file(*ctx, extra_ca_file, "extra_ca_file");
  return ctx;
}

bool prepare_tls_peer(SSL* ssl, const std::string& host, bool host_is_ip) {
  if (host_is_ip) {
    // X509_check_host would never match an IP literal; ask OpenSSL to match the IP SAN instead.
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  }
  // SNI: Slack's front ends serve several names from one address and need it to pick the cert.
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  // Checked twice on purpose: OpenSSL's own check fails the handshake with a clear
  // "hostname mismatch" reason; the asio callback (set in configure_tls_peer) guards the same rule.
  return SSL_set1_host(ssl, host.c_str()) == 1;
}

}  // namespace desk::bot::slack
