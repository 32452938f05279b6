#include "ps/version.h"

namespace ps {

std::string studioVersion() { return PS_VERSION_STRING; }

} // namespace ps
