#pragma once
// RecordStream: one data file as a stream of raw records plus everything needed to turn each
// into a DataRecord — the resolved file type, the detected (or chosen) format with its reason,
// the column mapping — and the bad-record policy (fail with "FILE:LINE: ...", or skip, count
// and keep the first reasons). DatasetReader and the tokenizing pipeline are both built on it.
#include "data/format_common.h"
#include "data/record_source.h"

#include <deque>
#include <memory>

namespace ps::data {

class RecordStream final {
public:
    RecordStream(const std::string& path, const ReadOptions& options);

    const DatasetInfo& info() const { return info_; }
    const ReadOptions& options() const { return options_; }

    // The next raw record (bad ones included; they fail in convert()). False at the end.
    bool nextRaw(RawRecord& record);
    // Thread-safe: parses and converts one raw record. Throws RecordError.
    DataRecord convert(const RawRecord& record) const;
    // A bad record: with skipBad counts it and keeps the reason; otherwise throws ps::Error
    // "FILE:LINE: message".
    void reject(std::int64_t recordLine, const RecordError& error);
    std::uint64_t position() const { return source_->position(); }
    void finishProgress() { source_->finishProgress(); }

private:
    bool fetch(RawRecord& record);
    RecordJson parse(const RawRecord& record) const;
    void detect();

    ReadOptions options_;
    DatasetInfo info_;
    std::unique_ptr<RecordSource> source_;
    FormatContext ctx_;
    std::deque<RawRecord> pending_;
};

// The file type for `path` given the requested one; for JSON object files also the key that
// holds the records. Exposed for tests.
FileType resolveFileType(const std::string& path, FileType requested, std::string& jsonKey,
                         const std::atomic<bool>* cancel = nullptr);

} // namespace ps::data
