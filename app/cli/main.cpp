// peft-studio-cli — the headless face of PEFT Studio (servers, scripts, CI).
#include "commands.h"

#include "ps/error.h"
#include "ps/system_info.h"
#include "ps/version.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <climits>
#include <unistd.h>
#endif

namespace {
std::string gArgv0;
}

namespace ps::cli {
// The running executable (for finding bundled resources relative to it).
std::string executablePath() {
#ifdef _WIN32
    char buf[MAX_PATH];
    const DWORD n = GetModuleFileNameA(nullptr, buf, MAX_PATH);
    return n ? std::string(buf, n) : gArgv0;
#else
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : gArgv0;
#endif
}
} // namespace ps::cli

namespace {

void printHelp() {
    std::cout << "peft-studio-cli " << ps::studioVersion()
              << " - parameter-efficient fine-tuning of Hugging Face language models\n\n"
                 "Usage: peft-studio-cli COMMAND [ARGS...]\n\nCommands:\n";
    for (const auto& c : ps::cli::allCommands()) {
        std::string usage = c.usage;
        std::cout << "  " << usage << "\n      " << c.summary << "\n";
    }
    std::cout << "\nRun 'peft-studio-cli COMMAND --help' for the options of one command.\n"
                 "Exit status: 0 on success; otherwise non-zero with a one-line error on stderr.\n";
}

// Errors are one line: keep only the first line of library messages (c10 appends backtraces).
std::string firstLine(const std::string& s) {
    const auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool(); // before any other thread or product (ps/system_info.h)
    gArgv0 = argc > 0 ? argv[0] : "";
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printHelp();
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "peft-studio-cli " << ps::studioVersion() << "\n";
        return 0;
    }
    for (const auto& c : ps::cli::allCommands()) {
        if (args[0] != c.name)
            continue;
        ps::cli::Args rest(args.begin() + 1, args.end());
        if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
            std::cout << "Usage: peft-studio-cli " << c.usage << "\n\n" << c.summary << "\n";
            return 0;
        }
        try {
            return c.run(rest);
        } catch (const ps::Error& e) {
            std::cerr << "peft-studio-cli: error: " << firstLine(e.what()) << "\n";
        } catch (const std::exception& e) {
            std::cerr << "peft-studio-cli: error: " << firstLine(e.what()) << "\n";
        }
        return 1;
    }
    std::cerr << "peft-studio-cli: error: unknown command '" << args[0] << "' (see peft-studio-cli --help)\n";
    return 2;
}
