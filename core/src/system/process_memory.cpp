// Process memory (RSS) behind one small platform switch: /proc on Linux, GetProcessMemoryInfo
// on Windows.
#include "ps/system_info.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <psapi.h>
#else
#include <fstream>
#include <string>
#include <sys/resource.h>
#endif

namespace ps {

#ifdef _WIN32
std::uint64_t currentRssBytes() {
    PROCESS_MEMORY_COUNTERS pmc;
    if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)))
        return pmc.WorkingSetSize;
    return 0;
}
std::uint64_t peakRssBytes() {
    PROCESS_MEMORY_COUNTERS pmc;
    if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)))
        return pmc.PeakWorkingSetSize;
    return 0;
}
#else
namespace {
std::uint64_t statusField(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.compare(0, key.size(), key) == 0)
            return std::stoull(line.substr(key.size())) * 1024ull; // kB
    }
    return 0;
}
} // namespace
std::uint64_t currentRssBytes() { return statusField("VmRSS"); }
std::uint64_t peakRssBytes() {
    const auto hwm = statusField("VmHWM");
    if (hwm)
        return hwm;
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024ull;
}
#endif

} // namespace ps
