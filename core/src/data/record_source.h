#pragma once
// The reader side of the data pipeline: a RecordSource cuts a file into raw records (cheap,
// sequential, one thread); turning a raw record into a DataRecord (JSON parsing, UTF-8 check,
// format conversion) is done by record_convert.h and may run on worker threads.
#include "ps/dataset.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ps::data {

struct RawRecord {
    enum class Kind { Json, Fields, Text };
    Kind kind = Kind::Json;
    std::int64_t line = 0;           // 1-based line of the record's first byte
    std::int64_t column = 1;         // 1-based byte column of the record's first byte
    std::string text;                // JSON text (Json) or the document (Text)
    std::vector<std::string> fields; // CSV/TSV cells (Fields), in header order
    std::string error;               // set by the reader for a record it could not cut out cleanly
};

// A problem with one record: the message has no "FILE:LINE: " prefix; the caller adds it.
// `line` (when not 0) overrides the record's first line, e.g. for a bad byte further down.
class RecordError final : public std::runtime_error {
public:
    explicit RecordError(const std::string& message, std::int64_t line = 0)
        : std::runtime_error(message), line_(line) {}
    std::int64_t line() const { return line_; }

private:
    std::int64_t line_;
};

class RecordSource {
public:
    virtual ~RecordSource() = default;
    // False at the end of the file. File-level problems throw ps::Error.
    virtual bool next(RawRecord& record) = 0;
    virtual std::uint64_t position() const = 0;
    virtual void finishProgress() = 0;
    // CSV/TSV: the header (field names of every Fields record).
    virtual const std::vector<std::string>& header() const {
        static const std::vector<std::string> none;
        return none;
    }
};

struct SourceOptions {
    std::uint64_t maxRecordBytes = 16ull << 20;
    std::string jsonKey; // resolved key for JSON object files
    TextUnit textUnit = TextUnit::Block;
    DataProgress progress;
    const std::atomic<bool>* cancel = nullptr;
};

std::unique_ptr<RecordSource> openJsonLinesSource(const std::string& path, const SourceOptions& options);
std::unique_ptr<RecordSource> openJsonSource(const std::string& path, const SourceOptions& options);
std::unique_ptr<RecordSource> openCsvSource(const std::string& path, char delimiter, const SourceOptions& options);
std::unique_ptr<RecordSource> openTextSource(const std::string& path, const SourceOptions& options);

// "record larger than 16 MiB, the limit for one record (ReadOptions::maxRecordBytes)"
std::string recordTooLargeMessage(std::uint64_t maxRecordBytes);

} // namespace ps::data
