#include "ps/resources.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace ps {
namespace {

bool holdsDemo(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "demo" / "instructions.jsonl", ec);
}

} // namespace

std::string findResourcesDir(const std::string& executablePath) {
    if (const char* env = std::getenv("PEFT_STUDIO_RESOURCES"); env && *env)
        return env;
    std::error_code ec;
    fs::path exe = fs::weakly_canonical(fs::path(executablePath), ec);
    if (ec)
        exe = fs::path(executablePath);
    const fs::path dir = exe.parent_path();
    if (holdsDemo(dir / ".." / "share" / "peft-studio"))
        return fs::weakly_canonical(dir / ".." / "share" / "peft-studio", ec).string();
    fs::path up = dir;
    for (int i = 0; i < 5; ++i) {
        if (holdsDemo(up / "resources"))
            return fs::weakly_canonical(up / "resources", ec).string();
        if (!up.has_parent_path() || up.parent_path() == up)
            break;
        up = up.parent_path();
    }
    return "";
}

std::string userDataDir() {
#ifdef _WIN32
    if (const char* local = std::getenv("LOCALAPPDATA"); local && *local)
        return (fs::path(local) / "peft-studio").string();
    return (fs::temp_directory_path() / "peft-studio").string();
#else
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "peft-studio").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".local" / "share" / "peft-studio").string();
    return (fs::temp_directory_path() / "peft-studio").string();
#endif
}

} // namespace ps
