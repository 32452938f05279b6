// DatasetReader (the public streaming reader) and the format / file-type names.
#include "data/record_stream.h"

#include <algorithm>
#include <cctype>

namespace ps {

std::string DataIssue::describe() const {
    return file + ":" + std::to_string(line) + ": " + message;
}

std::string dataFormatName(DataFormat f) {
    switch (f) {
    case DataFormat::Auto:
        return "auto";
    case DataFormat::Alpaca:
        return "alpaca";
    case DataFormat::ShareGpt:
        return "sharegpt";
    case DataFormat::Messages:
        return "messages";
    case DataFormat::PromptCompletion:
        return "prompt_completion";
    case DataFormat::Text:
        return "text";
    }
    return "auto";
}

std::optional<DataFormat> dataFormatFromName(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    for (DataFormat f : {DataFormat::Auto, DataFormat::Alpaca, DataFormat::ShareGpt, DataFormat::Messages,
                         DataFormat::PromptCompletion, DataFormat::Text})
        if (n == dataFormatName(f))
            return f;
    if (n == "openai")
        return DataFormat::Messages;
    return std::nullopt;
}

std::string fileTypeName(FileType t) {
    switch (t) {
    case FileType::Auto:
        return "auto";
    case FileType::JsonLines:
        return "jsonl";
    case FileType::Json:
        return "json";
    case FileType::Csv:
        return "csv";
    case FileType::Tsv:
        return "tsv";
    case FileType::Text:
        return "text";
    }
    return "auto";
}

std::optional<FileType> fileTypeFromName(const std::string& name) {
    for (FileType t :
         {FileType::Auto, FileType::JsonLines, FileType::Json, FileType::Csv, FileType::Tsv, FileType::Text})
        if (name == fileTypeName(t))
            return t;
    return std::nullopt;
}

struct DatasetReader::Impl {
    Impl(const std::string& path, const ReadOptions& o) : stream(path, o) {}
    data::RecordStream stream;
    data::RawRecord raw;
};

DatasetReader::DatasetReader(const std::string& path, ReadOptions options)
    : impl_(std::make_unique<Impl>(path, options)) {}
DatasetReader::~DatasetReader() = default;

const DatasetInfo& DatasetReader::info() const {
    return impl_->stream.info();
}

bool DatasetReader::next(DataRecord& record) {
    while (impl_->stream.nextRaw(impl_->raw)) {
        try {
            record = impl_->stream.convert(impl_->raw);
            return true;
        } catch (const data::RecordError& e) {
            impl_->stream.reject(impl_->raw.line, e);
        }
    }
    impl_->stream.finishProgress();
    return false;
}

} // namespace ps
