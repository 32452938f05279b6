#include "data/json_scanner.h"

namespace ps::data {
namespace {
bool isBlank(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
} // namespace

void JsonScanner::skipWhitespace() {
    while (isBlank(peek()))
        get();
}

JsonScanner::Capture JsonScanner::captureValue(std::string* out, std::uint64_t maxBytes) {
    skipWhitespace();
    bool tooLong = false;
    auto put = [&](int c) {
        if (!out || tooLong)
            return;
        if (out->size() >= maxBytes) {
            tooLong = true;
            return;
        }
        out->push_back(static_cast<char>(c));
    };
    if (out)
        out->clear();
    int c = peek();
    if (c < 0)
        return Capture::EndOfFile;
    if (c == '{' || c == '[' || c == '"') {
        int depth = 0;
        bool inString = false;
        for (;;) {
            c = get();
            if (c < 0)
                return Capture::EndOfFile;
            put(c);
            if (inString) {
                if (c == '\\') {
                    c = get();
                    if (c < 0)
                        return Capture::EndOfFile;
                    put(c);
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0)
                        break;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth <= 0)
                    break;
            }
        }
    } else {
        // Scalar: up to the next delimiter.
        while ((c = peek()) >= 0 && c != ',' && c != ']' && c != '}' && !isBlank(c))
            put(get());
    }
    return tooLong ? Capture::TooLong : Capture::Ok;
}

bool JsonScanner::readRawString(std::string& out) {
    out.clear();
    if (get() != '"')
        return false;
    for (;;) {
        int c = get();
        if (c < 0)
            return false;
        if (c == '"')
            return true;
        out.push_back(static_cast<char>(c));
        if (c == '\\') {
            c = get();
            if (c < 0)
                return false;
            out.push_back(static_cast<char>(c));
        }
    }
}

TopLevelScan scanTopLevel(const std::string& path, const std::atomic<bool>* cancel) {
    InputFile file(path, {}, cancel);
    JsonScanner s(file);
    TopLevelScan scan;
    s.skipWhitespace();
    scan.firstByte = s.peek();
    if (scan.firstByte == '{') {
        s.get();
        std::string key;
        for (;;) {
            s.skipWhitespace();
            if (s.peek() == '}') {
                s.get();
                break;
            }
            if (!s.readRawString(key))
                return scan;
            s.skipWhitespace();
            if (s.get() != ':')
                return scan;
            s.skipWhitespace();
            const int first = s.peek();
            if (s.captureValue(nullptr, 0) == JsonScanner::Capture::EndOfFile)
                return scan;
            scan.keys.emplace_back(key, static_cast<char>(first));
            s.skipWhitespace();
            const int sep = s.get();
            if (sep == '}')
                break;
            if (sep != ',')
                return scan;
        }
    } else if (scan.firstByte >= 0) {
        if (s.captureValue(nullptr, 0) == JsonScanner::Capture::EndOfFile)
            return scan;
    } else {
        return scan;
    }
    scan.complete = true;
    s.skipWhitespace();
    scan.moreValues = s.peek() >= 0;
    return scan;
}

} // namespace ps::data
