// The one translation unit that compiles Asio, Asio's OpenSSL layer and Beast. Every other file
// sees them as declarations only (BOOST_ASIO_SEPARATE_COMPILATION, BOOST_BEAST_SEPARATE_COMPILATION
// are public definitions of desk_slack), which keeps the build within CI's budget.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
