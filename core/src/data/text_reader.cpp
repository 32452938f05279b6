// Plain text: one document per blank-line-separated block (TextUnit::Block) or the whole file
// (TextUnit::File). Line ends are normalised to '\n'; a document keeps its inner line breaks.
#include "data/input_file.h"
#include "data/record_source.h"

namespace ps::data {
namespace {

bool isBlank(const std::string& s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v')
            return false;
    return true;
}

class TextSource final : public RecordSource {
public:
    TextSource(const std::string& path, const SourceOptions& o)
        : file_(path, o.progress, o.cancel), maxBytes_(o.maxRecordBytes), wholeFile_(o.textUnit == TextUnit::File) {}

    bool next(RawRecord& r) override {
        r.kind = RawRecord::Kind::Text;
        r.text.clear();
        r.fields.clear();
        r.error.clear();
        r.column = 1;
        r.line = 0;
        bool tooLong = false, lineTooLong = false;
        std::int64_t pendingBlank = 0; // blank lines inside a whole-file document
        while (file_.readLine(line_, maxBytes_, lineTooLong)) {
            ++lineNo_;
            const bool blank = !lineTooLong && isBlank(line_);
            if (blank) {
                if (r.line == 0)
                    continue; // leading blank lines
                if (!wholeFile_)
                    break; // end of the block
                ++pendingBlank;
                continue;
            }
            if (r.line == 0)
                r.line = lineNo_;
            else
                pendingBlank += 1; // the line break before this line
            if (!tooLong) {
                if (lineTooLong ||
                    r.text.size() + static_cast<std::uint64_t>(pendingBlank) + line_.size() > maxBytes_) {
                    tooLong = true;
                    r.text.clear();
                } else {
                    r.text.append(static_cast<std::size_t>(pendingBlank), '\n');
                    r.text += line_;
                }
            }
            pendingBlank = 0;
        }
        if (r.line == 0)
            return false;
        if (tooLong)
            r.error = recordTooLargeMessage(maxBytes_) +
                      (wholeFile_ ? "; read the file as blank-line-separated blocks instead" : "");
        return true;
    }
    std::uint64_t position() const override { return file_.position(); }
    void finishProgress() override { file_.finishProgress(); }

private:
    InputFile file_;
    std::uint64_t maxBytes_;
    bool wholeFile_;
    std::string line_;
    std::int64_t lineNo_ = 0;
};

} // namespace

std::unique_ptr<RecordSource> openTextSource(const std::string& path, const SourceOptions& options) {
    return std::make_unique<TextSource>(path, options);
}

} // namespace ps::data
