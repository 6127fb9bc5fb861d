// Boost.JSON's compiled part, for the envelope parser (in the desk, desk_slack's asio_impl.cpp has it).
#include <boost/json/src.hpp>
