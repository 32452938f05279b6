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

#include <cstdlib>
#include <cstring>

namespace ps {

namespace {
// PEFT_STUDIO_AVAILABLE_MEMORY as a byte count; 0 when unset or not a plain number.
std::uint64_t availableMemoryOverride() {
    const char* v = std::getenv("PEFT_STUDIO_AVAILABLE_MEMORY");
    if (!v || !*v || std::strspn(v, "0123456789") != std::strlen(v))
        return 0;
    return std::strtoull(v, nullptr, 10);
}
} // namespace

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
std::uint64_t availableMemoryBytes() {
    if (const auto o = availableMemoryOverride())
        return o;
    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof(ms);
    return GlobalMemoryStatusEx(&ms) ? static_cast<std::uint64_t>(ms.ullAvailPhys) : 0;
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
std::uint64_t availableMemoryBytes() {
    if (const auto o = availableMemoryOverride())
        return o;
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, 13, "MemAvailable:") == 0)
            return std::stoull(line.substr(13)) * 1024ull; // kB
    return 0;
}
#endif

} // namespace ps
