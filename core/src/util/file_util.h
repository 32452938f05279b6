#pragma once
// Small file helpers shared by every area of core. Every write goes through
// writeFileAtomic(): temp file in the same folder, flushed, fsync'd, then renamed over the
// target, so a crash or a full disk never leaves a half-written file where a good one was.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>

namespace ps {

// Reads a whole file; throws ps::Error "<path>: cannot open (<reason>)" on failure.
// maxBytes guards against reading a huge file into memory by accident.
std::string readFile(const std::string& path, std::uint64_t maxBytes = 1ull << 30);

// Writes `data` atomically to `path` (creating parent folders).
void writeFileAtomic(const std::string& path, const std::string& data);

// Streams content atomically: `writer` is called with a function that appends bytes; if it
// throws, the temporary file is removed and the target is untouched.
using ByteSink = std::function<void(const void* data, std::size_t size)>;
void writeFileAtomicStreamed(const std::string& path, const std::function<void(const ByteSink&)>& writer);

// Test hook simulating a disk with `bytes` free from now on (0 = off): the atomic writes that
// follow fail with "<file>: write failed (No space left on device)" once they have written more
// than that in total; a temporary file removed after a failure gives its bytes back, as on a
// real disk. The environment variable PEFT_STUDIO_TEST_DISK_FREE_BYTES sets it for a process.
void setWriteFailureAfterBytesForTesting(std::int64_t bytes);

// Removes a file or a folder tree, like std::filesystem::remove_all(path, ec): a missing path is
// not an error. Our own walk on POSIX (nftw, symbolic links removed, never followed) because
// PyTorch's pip wheels export their own copy of libstdc++'s std::filesystem::remove_all from
// libtorch.so, which crashes when a program built with a newer libstdc++ calls it (seen on the
// GPU machine with torch 2.11; benchmarks/RESULTS.md).
void removeTree(const std::filesystem::path& path, std::error_code& ec) noexcept;

bool isDirectory(const std::string& path);
bool isRegularFile(const std::string& path);
std::uint64_t fileSize(const std::string& path);
std::string joinPath(const std::string& a, const std::string& b);
std::string fileName(const std::string& path);

} // namespace ps
