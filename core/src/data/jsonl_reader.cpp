// JSON Lines: one JSON object per line; blank lines are allowed and skipped.
#include "data/input_file.h"
#include "data/record_source.h"

namespace ps::data {
namespace {

bool isBlank(const std::string& s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r')
            return false;
    return true;
}

class JsonLinesSource final : public RecordSource {
public:
    JsonLinesSource(const std::string& path, const SourceOptions& o)
        : file_(path, o.progress, o.cancel), maxBytes_(o.maxRecordBytes) {}

    bool next(RawRecord& r) override {
        bool tooLong = false;
        while (file_.readLine(line_, maxBytes_, tooLong)) {
            ++lineNo_;
            if (!tooLong && isBlank(line_))
                continue;
            r.kind = RawRecord::Kind::Json;
            r.line = lineNo_;
            r.column = 1;
            r.fields.clear();
            r.error.clear();
            if (tooLong) {
                r.text.clear();
                r.error = recordTooLargeMessage(maxBytes_);
            } else {
                r.text.swap(line_);
            }
            return true;
        }
        return false;
    }
    std::uint64_t position() const override { return file_.position(); }
    void finishProgress() override { file_.finishProgress(); }

private:
    InputFile file_;
    std::uint64_t maxBytes_;
    std::string line_;
    std::int64_t lineNo_ = 0;
};

} // namespace

std::unique_ptr<RecordSource> openJsonLinesSource(const std::string& path, const SourceOptions& options) {
    return std::make_unique<JsonLinesSource>(path, options);
}

std::string recordTooLargeMessage(std::uint64_t maxRecordBytes) {
    std::string size = maxRecordBytes % (1u << 20) == 0 ? std::to_string(maxRecordBytes >> 20) + " MiB"
                                                        : std::to_string(maxRecordBytes) + " bytes";
    return "record larger than " + size + ", the limit for one record (ReadOptions::maxRecordBytes)";
}

} // namespace ps::data
