#pragma once
#include <string>

namespace ps {

// Version of PEFT Studio itself, e.g. "0.1.0".
std::string studioVersion();

} // namespace ps
