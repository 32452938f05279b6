#pragma once
// AppendOnlyFile — metrics.jsonl and log.txt. Rewriting these through a temporary file at every
// event would cost O(n^2); instead each line goes out in one write() and is flushed, so a crash
// can only cut the final line short. Opening an existing file first cuts off such a torn final
// line, so that appending never glues a new line onto a broken one.
#include <cstdio>
#include <string>

namespace ps::runs {

class AppendOnlyFile final {
public:
    explicit AppendOnlyFile(const std::string& path); // creates the file and its folder
    ~AppendOnlyFile();
    AppendOnlyFile(const AppendOnlyFile&) = delete;
    AppendOnlyFile& operator=(const AppendOnlyFile&) = delete;

    // Writes `line` + '\n' (a line must not contain '\n') and flushes it to the OS.
    void appendLine(const std::string& line);
    // fsync: call at checkpoints and at the end of a run.
    void sync();
    const std::string& path() const { return path_; }

    // Cuts `path` after its last '\n' when it does not end with one; returns the bytes removed.
    static std::size_t repairTornTail(const std::string& path);

private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

} // namespace ps::runs
