// The trust of outbound TLS: one system store shared by every ordinary client context, and an extra
// CA trusted only by the context it was given to.
#include "bot/slack/tls.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <memory>

#include "tests/emulator/test_pki.hpp"

namespace desk::bot::slack {
namespace {

const emulator::TestPki& test_pki() {
  static emulator::TestPki instance;
  return instance;
}

// Whether `store` trusts the test PKI's server certificate (chain and signature; no host name).
bool trusts_test_server(X509_STORE* store) {
  std::unique_ptr<BIO, decltype(&BIO_free)> pem(
      BIO_new_mem_buf(test_pki().trusted().server_cert_pem.data(),
                      static_cast<int>(test_pki().trusted().server_cert_pem.size())),
      BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(pem.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return false;
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(check.get(), store, cert.get(), nullptr);
  return X509_verify_cert(check.get()) == 1;
}

TEST(ClientTls, OrdinaryContextsShareOneTrustStore) {
  const auto a = make_client_tls_context();
  const auto b = make_client_tls_context();
  ASSERT_NE(SSL_CTX_get_cert_store(a->native_handle()), nullptr);
  EXPECT_EQ(SSL_CTX_get_cert_store(a->native_handle()), SSL_CTX_get_cert_store(b->native_handle()));
  EXPECT_EQ(SSL_CTX_get_verify_mode(a->native_handle()), SSL_VERIFY_PEER);
}

// Whatever way the store reads the system's CAs (the hashed directory as needed, or the bundle up
// front), a root from the system bundle verifies against it.
TEST(ClientTls, TheSharedStoreTrustsTheSystemsRoots) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bundle(BIO_new_file(X509_get_default_cert_file(), "r"), BIO_free);
  if (!bundle) GTEST_SKIP() << "no system CA bundle at " << X509_get_default_cert_file();
  int checked = 0;
  X509_STORE* shared = SSL_CTX_get_cert_store(make_client_tls_context()->native_handle());
  while (checked < 5) {
    std::unique_ptr<X509, decltype(&X509_free)> root(PEM_read_bio_X509(bundle.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    if (!root) break;
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    X509_STORE_CTX_init(check.get(), shared, root.get(), nullptr);
    EXPECT_EQ(X509_verify_cert(check.get()), 1)
        << "root " << checked << ": " << X509_verify_cert_error_string(X509_STORE_CTX_get_error(check.get()));
    ++checked;
  }
  ERR_clear_error();
  EXPECT_GT(checked, 0);
}

TEST(ClientTls, AnExtraCaIsTrustedOnlyByItsOwnContext) {
  const auto ordinary = make_client_tls_context();
  const auto with_test_ca = make_client_tls_context(test_pki().trusted().ca_cert);
  X509_STORE* shared = SSL_CTX_get_cert_store(ordinary->native_handle());
  X509_STORE* own = SSL_CTX_get_cert_store(with_test_ca->native_handle());
  EXPECT_NE(shared, own);
  EXPECT_TRUE(trusts_test_server(own));
  EXPECT_FALSE(trusts_test_server(shared));  // the throwaway CA never leaked into the shared store
  EXPECT_FALSE(trusts_test_server(SSL_CTX_get_cert_store(make_client_tls_context()->native_handle())));
}

TEST(ClientTls, AMissingExtraCaFileIsNamed) {
  try {
    make_client_tls_context("/nonexistent/ca.pem");
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("extra_ca_file: /nonexistent/ca.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace desk::bot::slack
