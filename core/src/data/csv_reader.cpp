// CSV and TSV (RFC 4180): a header row names the fields; quoted fields may hold the delimiter,
// doubled quotes and line breaks; CRLF or LF line ends; blank lines are skipped. A row with a
// different number of fields than the header is a record error naming its line.
#include "data/input_file.h"
#include "data/record_source.h"

#include <set>

namespace ps::data {
namespace {

class CsvSource final : public RecordSource {
public:
    CsvSource(const std::string& path, char delimiter, const SourceOptions& o)
        : file_(path, o.progress, o.cancel), delim_(delimiter), maxBytes_(o.maxRecordBytes) {
        RawRecord head;
        if (!readRecord(head))
            throw Error(path + ": the file is empty; expected a header row naming the fields");
        if (!head.error.empty())
            throw Error(path + ":" + std::to_string(head.line) + ": " + head.error);
        std::set<std::string> seen;
        for (std::size_t i = 0; i < head.fields.size(); ++i) {
            const std::string& name = head.fields[i];
            if (name.empty())
                throw Error(path + ":" + std::to_string(head.line) + ": the header has an empty field name (field " +
                            std::to_string(i + 1) + ")");
            if (!seen.insert(name).second)
                throw Error(path + ":" + std::to_string(head.line) + ": the header names the field '" + name +
                            "' twice");
        }
        header_ = std::move(head.fields);
    }

    bool next(RawRecord& r) override {
        if (!readRecord(r))
            return false;
        if (r.error.empty() && r.fields.size() != header_.size())
            r.error = "expected " + std::to_string(header_.size()) + " fields as in the header, found " +
                      std::to_string(r.fields.size());
        return true;
    }
    const std::vector<std::string>& header() const override { return header_; }
    std::uint64_t position() const override { return file_.position(); }
    void finishProgress() override { file_.finishProgress(); }

private:
    // Skips the rest of the physical line after a syntax error so the next record starts clean.
    void skipLine() {
        int c;
        while ((c = file_.get()) >= 0 && c != '\n') {
        }
        if (c == '\n')
            ++line_;
    }

    bool readRecord(RawRecord& r) {
        r.kind = RawRecord::Kind::Fields;
        r.fields.clear();
        r.text.clear();
        r.error.clear();
        r.column = 1;
        // Blank lines between records are not records.
        for (;;) {
            const int c = file_.peek();
            if (c < 0)
                return false;
            if (c == '\n') {
                file_.get();
                ++line_;
            } else if (c == '\r') {
                file_.get();
                if (file_.peek() == '\n')
                    file_.get();
                ++line_;
            } else {
                break;
            }
        }
        r.line = line_;
        std::string field;
        std::uint64_t bytes = 0;
        bool quoted = false, afterQuote = false, tooLong = false;
        std::int64_t quoteLine = line_;
        auto append = [&](int c) {
            if (++bytes > maxBytes_)
                tooLong = true;
            else
                field.push_back(static_cast<char>(c));
        };
        auto endField = [&] {
            r.fields.push_back(std::move(field));
            field.clear();
            afterQuote = false;
        };
        for (;;) {
            int c = file_.get();
            if (quoted) {
                if (c < 0) {
                    r.error = "unterminated quoted field: the quote opened on line " + std::to_string(quoteLine) +
                              " never closes";
                    return true;
                }
                if (c == '"') {
                    if (file_.peek() == '"') {
                        file_.get();
                        append('"');
                    } else {
                        quoted = false;
                        afterQuote = true;
                    }
                    continue;
                }
                if (c == '\n')
                    ++line_;
                append(c);
                continue;
            }
            if (c < 0) {
                endField();
                break;
            }
            if (c == delim_) {
                endField();
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (c == '\r' && file_.peek() == '\n')
                    file_.get();
                ++line_;
                endField();
                break;
            }
            if (afterQuote) {
                r.error = std::string("unexpected character after the closing quote of a field (expected '") +
                          (delim_ == '\t' ? "\\t" : std::string(1, delim_)) + "' or the end of the line)";
                skipLine();
                return true;
            }
            if (c == '"') {
                if (field.empty()) {
                    quoted = true;
                    quoteLine = line_;
                    continue;
                }
                r.error = "a '\"' inside an unquoted field (quote the whole field and double the quote)";
                skipLine();
                return true;
            }
            append(c);
        }
        if (tooLong) {
            r.fields.clear();
            r.error = recordTooLargeMessage(maxBytes_);
        }
        return true;
    }

    InputFile file_;
    char delim_;
    std::uint64_t maxBytes_;
    std::int64_t line_ = 1;
    std::vector<std::string> header_;
};

} // namespace

std::unique_ptr<RecordSource> openCsvSource(const std::string& path, char delimiter, const SourceOptions& options) {
    return std::make_unique<CsvSource>(path, delimiter, options);
}

} // namespace ps::data
