// JSON documents: an array of records, or an object with one key holding that array
// ({"data": [...]}). Records are cut out one at a time, so a 1 GB array never lives in memory.
#include "data/json_scanner.h"
#include "data/record_source.h"

#include <cstdio>

namespace ps::data {
namespace {

std::string describeByte(int c) {
    if (c < 0)
        return "the end of the file";
    if (c >= 0x20 && c < 0x7f)
        return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
}

class JsonSource final : public RecordSource {
public:
    JsonSource(const std::string& path, const SourceOptions& o)
        : file_(path, o.progress, o.cancel), s_(file_), maxBytes_(o.maxRecordBytes) {
        s_.skipWhitespace();
        const int c = s_.peek();
        if (c == '[') {
            arrayLine_ = s_.line();
            s_.get();
            return;
        }
        if (c != '{')
            fail("expected a JSON array of records or an object holding one, found " + describeByte(c));
        s_.get();
        inObject_ = true;
        std::string key;
        for (;;) {
            s_.skipWhitespace();
            if (s_.peek() == '}' || s_.peek() < 0)
                fail("the JSON object has no key '" + o.jsonKey + "'");
            if (!s_.readRawString(key))
                fail("expected a key (a JSON string) in the top-level object");
            s_.skipWhitespace();
            if (s_.get() != ':')
                fail("expected ':' after the key '" + key + "'");
            s_.skipWhitespace();
            if (key == o.jsonKey) {
                if (s_.peek() != '[')
                    fail("the key '" + key + "' must hold an array of records, found " + describeByte(s_.peek()));
                arrayLine_ = s_.line();
                s_.get();
                return;
            }
            if (s_.captureValue(nullptr, 0) == JsonScanner::Capture::EndOfFile)
                fail("unexpected end of file inside the value of the key '" + key + "'");
            s_.skipWhitespace();
            const int sep = s_.get();
            if (sep != ',')
                fail("expected ',' after the value of the key '" + key + "', found " + describeByte(sep));
        }
    }

    bool next(RawRecord& r) override {
        if (done_)
            return false;
        s_.skipWhitespace();
        int c = s_.peek();
        if (!first_) {
            if (c == ',') {
                s_.get();
                s_.skipWhitespace();
                c = s_.peek();
                if (c == ']')
                    fail("trailing ',' before ']' (a record is missing)");
            } else if (c != ']') {
                if (c < 0)
                    failUnclosed();
                fail("expected ',' or ']' after a record, found " + describeByte(c));
            }
        }
        if (c == ']') {
            s_.get();
            done_ = true;
            if (!inObject_) {
                s_.skipWhitespace();
                if (s_.peek() >= 0)
                    fail("unexpected content after the end of the JSON array: " + describeByte(s_.peek()));
            }
            return false;
        }
        if (c < 0)
            failUnclosed();
        first_ = false;
        r.kind = RawRecord::Kind::Json;
        r.line = s_.line();
        r.column = s_.column();
        r.fields.clear();
        r.error.clear();
        switch (s_.captureValue(&r.text, maxBytes_)) {
        case JsonScanner::Capture::Ok:
            break;
        case JsonScanner::Capture::TooLong:
            r.text.clear();
            r.error = recordTooLargeMessage(maxBytes_);
            break;
        case JsonScanner::Capture::EndOfFile:
            r.text.clear();
            r.error = "unexpected end of file inside this record (the file is truncated)";
            done_ = true;
            break;
        }
        return true;
    }
    std::uint64_t position() const override { return file_.position(); }
    void finishProgress() override { file_.finishProgress(); }

private:
    [[noreturn]] void fail(const std::string& message) {
        throw Error(file_.path() + ":" + std::to_string(s_.line()) + ": " + message);
    }
    [[noreturn]] void failUnclosed() {
        fail("unexpected end of file: the JSON array opened on line " + std::to_string(arrayLine_) +
             " is not closed (missing ']')");
    }

    InputFile file_;
    JsonScanner s_;
    std::uint64_t maxBytes_;
    bool inObject_ = false;
    bool first_ = true;
    bool done_ = false;
    std::int64_t arrayLine_ = 1;
};

} // namespace

std::unique_ptr<RecordSource> openJsonSource(const std::string& path, const SourceOptions& options) {
    return std::make_unique<JsonSource>(path, options);
}

} // namespace ps::data
