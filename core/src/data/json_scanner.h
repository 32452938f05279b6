#pragma once
// A byte-level JSON scanner over an InputFile that cuts values out of a large JSON document
// without building it: the streaming JSON reader captures one array element at a time, and
// file-type detection walks the top-level object's keys. Tracks line and column.
#include "data/input_file.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ps::data {

class JsonScanner final {
public:
    explicit JsonScanner(InputFile& file) : file_(file), lineStart_(file.position()) {}

    int peek() { return file_.peek(); }
    int get() {
        const int c = file_.get();
        if (c == '\n') {
            ++line_;
            lineStart_ = file_.position();
        }
        return c;
    }
    std::int64_t line() const { return line_; }
    // Column of the next byte to be read.
    std::int64_t column() const { return static_cast<std::int64_t>(file_.position() - lineStart_) + 1; }
    void skipWhitespace();

    enum class Capture { Ok, TooLong, EndOfFile };
    // Consumes one JSON value (object, array, string or scalar) starting at the next
    // non-blank byte. With `out`, stores its text (at most maxBytes; TooLong beyond).
    Capture captureValue(std::string* out, std::uint64_t maxBytes);
    // Reads a JSON string (the next byte must be '"') and returns its raw text between the quotes.
    bool readRawString(std::string& out);

private:
    InputFile& file_;
    std::int64_t line_ = 1;
    std::uint64_t lineStart_ = 0;
};

struct TopLevelScan {
    int firstByte = -1;                             // first non-blank byte of the file ('{', '[', ...), -1 when empty
    bool complete = false;                          // the first value ended before the end of the file
    bool moreValues = false;                        // another value follows it (JSON Lines)
    std::vector<std::pair<std::string, char>> keys; // object: key -> first byte of its value
};

// Walks the first top-level value of `path`. Used to tell a JSON document from JSON Lines and
// to find the key that holds the records.
TopLevelScan scanTopLevel(const std::string& path, const std::atomic<bool>* cancel);

} // namespace ps::data
