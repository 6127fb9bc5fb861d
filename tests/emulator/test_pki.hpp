#pragma once
/// Throwaway certificates made at test time (nothing is committed): a CA with a server certificate
/// for DNS:localhost and IP:127.0.0.1, and an unrelated "rogue" CA with its own server certificate
/// for the same names, to prove that an untrusted chain is refused. Files live in a temp directory
/// that is removed with the object.
#include <string>

namespace desk::emulator {

struct CertFiles {
  std::string ca_cert;                                  ///< PEM path of the CA certificate (what a client trusts)
  std::string server_cert;                              ///< PEM path of the server certificate chain
  std::string server_key;                               ///< PEM path of the server private key
  std::string ca_pem, server_cert_pem, server_key_pem;  ///< the same, in memory
};

class TestPki {
 public:
  /// Generates both CAs and both server certificates (EC P-256, SHA-256, valid from an hour ago
  /// for two days). Throws std::runtime_error when OpenSSL fails.
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  const CertFiles& trusted() const { return trusted_; }
  const CertFiles& rogue() const { return rogue_; }

 private:
  std::string dir_;
  CertFiles trusted_;
  CertFiles rogue_;
};

}  // namespace desk::emulator
