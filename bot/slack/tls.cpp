#include "bot/slack/tls.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace desk::bot::slack {
namespace {

using StorePtr = std::shared_ptr<X509_STORE>;

void load_ca_file(X509_STORE* store, const std::string& path, const char* origin) {
  if (X509_STORE_load_file(store, path.c_str()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(std::string("cannot load CA file from ") + origin + ": " + path);
  }
}

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

// Whether `dir` is in OpenSSL's hashed layout (`<8 hex digits>.<n>` names), so that a lookup by
// subject finds its certificates without reading the others.
bool has_hashed_certificates(const char* dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= 10 && name[8] == '.' && std::all_of(name.begin(), name.begin() + 8, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        }))
      return true;
  }
  return false;
}

// OpenSSL's default verify paths, with one difference in cost only. By default OpenSSL parses the
// whole system bundle up front (15 ms for Debian's 144 CAs, the slowest step of start-up) and also
// looks in the hashed directory as a handshake needs a certificate. Where that directory holds the
// system's CAs in hashed form (Debian's update-ca-certificates writes the bundle and the directory
// from the same sources), the directory alone is used: same trust, read lazily. When $SSL_CERT_FILE
// or $SSL_CERT_DIR say otherwise, or the directory is not hashed, the defaults load as usual, and
// $SSL_CERT_FILE once more by name (for builds where that lookup is compiled out).
StorePtr load_default_store() {
  StorePtr store(X509_STORE_new(), X509_STORE_free);
  if (!store) throw std::runtime_error("cannot create a TLS trust store (out of memory)");
  const char* file_env = X509_get_default_cert_file_env();  // "SSL_CERT_FILE"
  const bool overridden = env_set(file_env) || env_set(X509_get_default_cert_dir_env());
  if (!overridden && has_hashed_certificates(X509_get_default_cert_dir()) &&
      X509_STORE_load_path(store.get(), X509_get_default_cert_dir()) == 1)
    return store;
  ERR_clear_error();
  if (X509_STORE_set_default_paths(store.get()) != 1) ERR_clear_error();  // a missing bundle is no trust, not an error
  if (env_set(file_env)) load_ca_file(store.get(), std::getenv(file_env), file_env);
  return store;
}

// One load per process, shared by every context without an extra CA file (Slack, Teams, callbacks).
// An X509_STORE is safe to share between contexts and threads: OpenSSL locks its caches. A failed
// load is not kept: the next context tries again and names the file again.
X509_STORE* shared_store() {
  static std::mutex mutex;
  static StorePtr store;
  std::lock_guard lock(mutex);
  if (!store) store = load_default_store();
  return store.get();
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& extra_ca_file) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  if (extra_ca_file.empty()) {
    SSL_CTX_set1_cert_store(ctx->native_handle(), shared_store());
    return ctx;
  }
  // A store of its own: the extra CA must not become trusted by every other connection.
  const StorePtr store = load_default_store();
  load_ca_file(store.get(), extra_ca_file, "extra_ca_file");
  SSL_CTX_set1_cert_store(ctx->native_handle(), store.get());
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
