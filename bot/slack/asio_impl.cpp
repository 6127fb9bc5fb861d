// The one translation unit that compiles Asio, Asio's OpenSSL layer, Beast and Boost.JSON. Every
// other file sees them as declarations only (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are public definitions of desk_slack; Boost.JSON needs its
// src.hpp in exactly one place), which keeps the build within CI's budget.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/json/src.hpp>
