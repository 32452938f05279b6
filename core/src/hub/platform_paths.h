#pragma once
// The few places where discovering files differs between Windows and the rest: environment
// variables (UTF-16 on Windows), the home folder (USERPROFILE on Windows, HOME elsewhere) and
// turning our UTF-8 strings into std::filesystem paths and back.
#include <filesystem>
#include <optional>
#include <string>

namespace ps::platform {

// The variable's value, or nullopt when it is unset or empty.
std::optional<std::string> environmentValue(const char* name);

// The user's home folder, or nullopt when the environment does not say.
std::optional<std::string> homeDirectory();

// "~" or "~/x" becomes <home>/x; anything else is returned unchanged.
std::string expandHome(const std::string& path);

std::filesystem::path toPath(const std::string& utf8);
std::string fromPath(const std::filesystem::path& path);

} // namespace ps::platform
