#include "hub/platform_paths.h"

#include <cstdlib>

#ifdef _WIN32
#include <windows.h>
#endif

namespace ps::platform {

std::optional<std::string> environmentValue(const char* name) {
#ifdef _WIN32
    // _wgetenv keeps non-ASCII user names intact; getenv would give the ANSI code page.
    const std::wstring wideName(name, name + std::char_traits<char>::length(name));
    const wchar_t* value = _wgetenv(wideName.c_str());
    if (!value || !*value)
        return std::nullopt;
    return fromPath(std::filesystem::path(value));
#else
    const char* value = std::getenv(name);
    if (!value || !*value)
        return std::nullopt;
    return std::string(value);
#endif
}

std::optional<std::string> homeDirectory() {
#ifdef _WIN32
    if (auto profile = environmentValue("USERPROFILE"))
        return profile;
    auto drive = environmentValue("HOMEDRIVE");
    auto path = environmentValue("HOMEPATH");
    if (drive && path)
        return *drive + *path;
    return std::nullopt;
#else
    return environmentValue("HOME");
#endif
}

std::string expandHome(const std::string& path) {
    if (path.empty() || path[0] != '~')
        return path;
    if (path.size() > 1 && path[1] != '/' && path[1] != '\\')
        return path; // "~user" is not expanded (huggingface_hub does, but it is rare)
    auto home = homeDirectory();
    if (!home)
        return path;
    if (path.size() <= 2)
        return *home;
    return fromPath(toPath(*home) / toPath(path.substr(2)));
}

std::filesystem::path toPath(const std::string& utf8) {
#ifdef _WIN32
    return std::filesystem::u8path(utf8);
#else
    return std::filesystem::path(utf8);
#endif
}

std::string fromPath(const std::filesystem::path& path) {
#ifdef _WIN32
    return path.u8string();
#else
    return path.string();
#endif
}

} // namespace ps::platform
