// libFuzzer target: one dataset reader (core/src/data) with format detection and conversion to
// training records, through the public DatasetReader. Built once per file type:
// PS_FUZZ_FILE_TYPE is jsonl, json, csv, tsv or text (tests/fuzz/CMakeLists.txt). The input is
// the file. Odd-sized inputs are read with skipBad (bad records counted, reading goes on), even
// ones stop at the first bad record, so both paths are covered.
#include "fuzz_util.h"
#include "ps/dataset.h"
#include "ps/error.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string path = ps::fuzz::writeScratchFile("data." PS_FUZZ_FILE_TYPE, data, size);
    ps::ReadOptions options;
    options.fileType = *ps::fileTypeFromName(PS_FUZZ_FILE_TYPE);
    options.skipBad = (size & 1) != 0;
    options.maxIssues = 3;
    options.maxRecordBytes = 64 << 10; // small, so that the "record too large" path is reachable
    // A record cannot start below the last line of the file (independent of the reader's counting).
    const auto lines = static_cast<std::int64_t>(std::count(input.begin(), input.end(), '\n') +
                                                 std::count(input.begin(), input.end(), '\r') + 1);
    try {
        ps::DatasetReader reader(path, options);
        ps::DataRecord record;
        std::int64_t yielded = 0, previousLine = 0;
        while (reader.next(record)) {
            ++yielded;
            PS_FUZZ_CHECK(record.line >= 1 && record.line <= lines && record.line >= previousLine);
            previousLine = record.line;
        }
        const ps::DatasetInfo& info = reader.info();
        PS_FUZZ_CHECK(info.numRecords == yielded + info.numSkipped);
        PS_FUZZ_CHECK(info.issues.size() <= options.maxIssues);
        PS_FUZZ_CHECK(static_cast<std::int64_t>(info.issues.size()) <= info.numSkipped);
        PS_FUZZ_CHECK(options.skipBad || info.numSkipped == 0);
    } catch (const ps::Error&) {
    }
    return 0;
}
