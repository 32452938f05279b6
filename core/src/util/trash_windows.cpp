// moveToTrash (ps/trash.h) on Windows: the Recycle Bin, through the shell's file operation
// (what Explorer's Delete does). Compiled on Windows only; the Linux build tests the freedesktop
// implementation behind the same header.
#ifdef _WIN32

#include "ps/trash.h"

#include "ps/error.h"

#include <cstdio>
#include <filesystem>
#include <string>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shellapi.h>

namespace fs = std::filesystem;

namespace ps {

std::string moveToTrash(const std::string& path) {
    if (path.empty())
        throw Error("cannot move to the Recycle Bin: empty path");
    const fs::path item = fs::absolute(fs::u8path(path)).lexically_normal();
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(item, ec)))
        throw Error(path + ": cannot move to the Recycle Bin (no such file or folder)");

    // pFrom is a list of paths, each NUL-terminated, the list ending with one more NUL.
    std::wstring from = item.wstring();
    from.push_back(L'\0');
    SHFILEOPSTRUCTW op{};
    op.wFunc = FO_DELETE;
    op.pFrom = from.c_str();
    // FOF_ALLOWUNDO recycles instead of deleting. Where a drive has no Recycle Bin (network
    // shares, some removable drives) the shell would delete for good: FOF_WANTNUKEWARNING makes
    // it ask first, overriding FOF_NOCONFIRMATION for that case only.
    op.fFlags = static_cast<FILEOP_FLAGS>(FOF_ALLOWUNDO | FOF_NOCONFIRMATION | FOF_WANTNUKEWARNING | FOF_SILENT |
                                          FOF_NOERRORUI);
    const int rc = SHFileOperationW(&op);
    if (rc != 0) {
        char code[16];
        std::snprintf(code, sizeof code, "0x%X", static_cast<unsigned>(rc));
        throw Error(path + ": cannot move to the Recycle Bin (shell error " + code + ")");
    }
    if (op.fAnyOperationsAborted)
        throw Error(path + ": not moved to the Recycle Bin (cancelled)");
    return ""; // the Recycle Bin's own file names are not exposed by this API
}

} // namespace ps

#endif // _WIN32
