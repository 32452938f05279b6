#include "data/record_stream.h"

#include "tokenize/utf8.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <cstdio>

namespace ps::data {
namespace {

const char* const kCanonicalFields[] = {"instruction", "input", "output",  "system", "history",    "conversations",
                                        "messages",    "role",  "content", "prompt", "completion", "text"};

// Line and column of byte `offset` of a record that starts at (r.line, r.column).
std::pair<std::int64_t, std::int64_t> locate(const RawRecord& r, std::size_t offset) {
    std::int64_t line = r.line;
    std::size_t lineStart = 0;
    bool firstLine = true;
    for (std::size_t i = 0; i < offset && i < r.text.size(); ++i) {
        if (r.text[i] == '\n') {
            ++line;
            lineStart = i + 1;
            firstLine = false;
        }
    }
    const auto col = static_cast<std::int64_t>(offset - lineStart) + (firstLine ? r.column : 1);
    return {line, col};
}

std::string hexByte(unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", c);
    return buf;
}

void checkUtf8(const RawRecord& r) {
    const std::size_t bad = tok::findInvalidUtf8(r.text);
    if (bad == std::string_view::npos)
        return;
    const auto [line, col] = locate(r, bad);
    throw RecordError("invalid UTF-8 (byte " + hexByte(static_cast<unsigned char>(r.text[bad])) + " at column " +
                          std::to_string(col) + ")",
                      line);
}

// nlohmann's message without its "[json.exception...] parse error at line 1, column 8: " prefix.
std::string parseDetail(const std::string& what) {
    const auto at = what.find("parse error");
    const auto colon = what.find(": ", at == std::string::npos ? 0 : at);
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

} // namespace

RecordStream::RecordStream(const std::string& path, const ReadOptions& options) : options_(options) {
    for (const auto& [canonical, name] : options.columns) {
        bool known = false;
        for (const char* c : kCanonicalFields)
            known = known || canonical == c;
        if (!known)
            throw Error("column mapping: unknown field '" + canonical +
                        "' (expected instruction, input, output, system, history, conversations, messages, role, "
                        "content, prompt, completion or text)");
        if (name.empty())
            throw Error("column mapping: empty column name for '" + canonical + "'");
    }
    info_.path = path;
    info_.jsonKey = options.jsonKey;
    info_.fileType = resolveFileType(path, options.fileType, info_.jsonKey, options.cancel);
    info_.fileBytes = fileSize(path);
    SourceOptions so;
    so.maxRecordBytes = options.maxRecordBytes;
    so.jsonKey = info_.jsonKey;
    so.textUnit = options.textUnit;
    so.progress = options.progress;
    so.cancel = options.cancel;
    switch (info_.fileType) {
    case FileType::JsonLines:
        source_ = openJsonLinesSource(path, so);
        break;
    case FileType::Json:
        source_ = openJsonSource(path, so);
        break;
    case FileType::Csv:
        source_ = openCsvSource(path, ',', so);
        break;
    case FileType::Tsv:
        source_ = openCsvSource(path, '\t', so);
        break;
    case FileType::Text:
    case FileType::Auto:
        source_ = openTextSource(path, so);
        break;
    }
    ctx_.names = FieldNames(options.columns);
    ctx_.cellsAreText = info_.fileType == FileType::Csv || info_.fileType == FileType::Tsv;
    if (ctx_.cellsAreText)
        info_.fields = source_->header();
    detect();
}

void RecordStream::detect() {
    if (info_.fileType == FileType::Text) {
        if (options_.format != DataFormat::Auto && options_.format != DataFormat::Text)
            throw Error(info_.path + ": a plain-text file can only be read as format 'text' (requested: " +
                        dataFormatName(options_.format) + ")");
        info_.format = DataFormat::Text;
        info_.formatReason = options_.textUnit == TextUnit::File
                                 ? "plain-text file, one document per file → text"
                                 : "plain-text file, one document per blank-line-separated block → text";
        return;
    }
    // The first record that is a JSON object decides; bad records before it follow the
    // bad-record policy like any other.
    RawRecord raw;
    while (fetch(raw)) {
        RecordJson object;
        try {
            object = parse(raw);
            if (options_.format == DataFormat::Auto) {
                const FormatGuess g = detectFormat(object, ctx_);
                info_.format = g.format;
                info_.formatReason = g.reason;
            }
        } catch (const RecordError& e) {
            reject(raw.line, e);
            continue;
        }
        if (!ctx_.cellsAreText)
            for (auto it = object.begin(); it != object.end(); ++it)
                info_.fields.push_back(it.key());
        pending_.push_back(std::move(raw));
        break;
    }
    if (options_.format != DataFormat::Auto) {
        info_.format = options_.format;
        info_.formatReason = "set explicitly → " + dataFormatName(options_.format);
    } else if (info_.format == DataFormat::Auto) {
        throw Error(info_.path + ": no records" +
                    (info_.numSkipped ? " (all " + std::to_string(info_.numSkipped) + " records are bad)" : ""));
    }
}

bool RecordStream::fetch(RawRecord& r) {
    if (!source_->next(r))
        return false;
    ++info_.numRecords;
    return true;
}

bool RecordStream::nextRaw(RawRecord& r) {
    if (!pending_.empty()) {
        r = std::move(pending_.front());
        pending_.pop_front();
        return true;
    }
    return fetch(r);
}

RecordJson RecordStream::parse(const RawRecord& r) const {
    if (!r.error.empty())
        throw RecordError(r.error);
    if (r.kind == RawRecord::Kind::Fields) {
        const auto& header = source_->header();
        RecordJson object = RecordJson::object();
        for (std::size_t i = 0; i < r.fields.size() && i < header.size(); ++i) {
            const std::size_t bad = tok::findInvalidUtf8(r.fields[i]);
            if (bad != std::string_view::npos)
                throw RecordError("invalid UTF-8 in field '" + header[i] + "' (byte " +
                                  hexByte(static_cast<unsigned char>(r.fields[i][bad])) + ")");
            object[header[i]] = r.fields[i];
        }
        return object;
    }
    checkUtf8(r);
    if (const std::size_t deep = findJsonNestingOverflow(r.text); deep != std::string::npos) {
        const auto [line, col] = locate(r, deep);
        throw RecordError("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at column " +
                              std::to_string(col) + " (refused)",
                          line);
    }
    RecordJson value;
    try {
        value = RecordJson::parse(r.text);
    } catch (const RecordJson::parse_error& e) {
        const std::size_t at = e.byte ? static_cast<std::size_t>(e.byte - 1) : 0;
        const auto [line, col] = locate(r, at);
        throw RecordError("invalid JSON at column " + std::to_string(col) + ": " + parseDetail(e.what()), line);
    } catch (const RecordJson::exception& e) {
        // A number beyond double's range ("1e999") is out_of_range, not parse_error (found by
        // tests/fuzz/fuzz_data_jsonl: it escaped as a non-ps exception and ended the process).
        throw RecordError("invalid JSON: " + jsonExceptionDetail(e.what()));
    }
    if (!value.is_object())
        throw RecordError("expected a JSON object, found " + jsonKind(value));
    return value;
}

DataRecord RecordStream::convert(const RawRecord& r) const {
    DataRecord rec;
    if (r.kind == RawRecord::Kind::Text) {
        if (!r.error.empty())
            throw RecordError(r.error);
        checkUtf8(r);
        rec.kind = RecordKind::Text;
        rec.text = r.text;
    } else {
        const RecordJson object = parse(r);
        switch (info_.format) {
        case DataFormat::Alpaca:
            rec = convertAlpaca(object, ctx_);
            break;
        case DataFormat::ShareGpt:
            rec = convertShareGpt(object, ctx_);
            break;
        case DataFormat::Messages:
            rec = convertMessages(object, ctx_);
            break;
        case DataFormat::PromptCompletion:
            rec = convertPromptCompletion(object, ctx_);
            break;
        case DataFormat::Text:
        case DataFormat::Auto:
            rec = convertText(object, ctx_);
            break;
        }
    }
    rec.line = r.line;
    return rec;
}

void RecordStream::reject(std::int64_t recordLine, const RecordError& error) {
    DataIssue issue{info_.path, error.line() ? error.line() : recordLine, error.what()};
    if (!options_.skipBad)
        throw Error(issue.describe());
    ++info_.numSkipped;
    if (info_.issues.size() < options_.maxIssues)
        info_.issues.push_back(std::move(issue));
}

} // namespace ps::data
