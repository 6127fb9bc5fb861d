#pragma once
/// TLS for every outbound connection: the peer's certificate chain and host name are always
/// verified. Trust = the system store (OpenSSL's default paths, so $SSL_CERT_FILE and $SSL_CERT_DIR
/// work as for any OpenSSL program), plus an optional extra CA file (tests use it for their
/// throwaway CA).
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace desk::bot::slack {

/// A client context with verify_peer, the default verify paths, $SSL_CERT_FILE when set and
/// `extra_ca_file` when not empty. Throws std::runtime_error naming the file that cannot be loaded.
/// Without `extra_ca_file`, every context shares one trust store, loaded once per process: never add
/// trust to such a context (add_certificate_authority, load_verify_file) or every connection gets it.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& extra_ca_file = {});

/// Prepares one connection before its handshake: SNI for DNS names (never for IP literals, per
/// RFC 6066) and, for IP literals, the IP address OpenSSL must find in the certificate.
/// Returns false when OpenSSL refuses the name.
bool prepare_tls_peer(SSL* ssl, const std::string& host, bool host_is_ip);

/// Sets up SNI and peer-name verification on an asio ssl stream (or Beast ssl_stream).
template <typename SslStream>
bool configure_tls_peer(SslStream& stream, const std::string& host, bool host_is_ip) {
  if (!prepare_tls_peer(stream.native_handle(), host, host_is_ip)) return false;
  if (!host_is_ip) stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  return true;
}

}  // namespace desk::bot::slack
