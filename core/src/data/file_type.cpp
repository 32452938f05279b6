// Which reader a file needs: from the extension, and for JSON from the content — a .json file
// may be one array, one object holding the array, or (often) JSON Lines under another name.
#include "data/json_scanner.h"
#include "data/record_stream.h"
#include "util/file_util.h"

#include <algorithm>
#include <cctype>

namespace ps::data {
namespace {

std::string lowerExtension(const std::string& path) {
    const std::string name = fileName(path);
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0)
        return "";
    std::string ext = name.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

FileType fromJsonContent(const std::string& path, std::string& jsonKey, const std::atomic<bool>* cancel) {
    const TopLevelScan scan = scanTopLevel(path, cancel);
    if (scan.firstByte == '[')
        return FileType::Json;
    if (scan.firstByte != '{' || !scan.complete || scan.moreValues)
        return FileType::JsonLines; // records on lines (or a broken first line, reported there)
    std::vector<std::string> lists;
    for (const auto& [key, first] : scan.keys)
        if (first == '[')
            lists.push_back(key);
    if (!jsonKey.empty()) {
        for (const auto& [key, first] : scan.keys)
            if (key == jsonKey)
                return FileType::Json;
        std::string all;
        for (const auto& kv : scan.keys)
            all += (all.empty() ? "" : ", ") + kv.first;
        throw Error(path + ": the JSON object has no key '" + jsonKey + "' (found: " + all + ")");
    }
    if (lists.empty())
        return FileType::JsonLines; // one record in the whole file
    if (lists.size() > 1) {
        std::string all;
        for (const auto& k : lists)
            all += (all.empty() ? "" : ", ") + k;
        throw Error(path + ": the JSON object has several lists (" + all +
                    "); say which one holds the records (ReadOptions::jsonKey)");
    }
    jsonKey = lists[0];
    return FileType::Json;
}

} // namespace

FileType resolveFileType(const std::string& path, FileType requested, std::string& jsonKey,
                         const std::atomic<bool>* cancel) {
    if (!isRegularFile(path)) {
        if (isDirectory(path))
            throw Error(path + ": is a folder, expected a data file");
        throw Error(path + ": cannot open (No such file or directory)");
    }
    if (requested == FileType::Json) // an array, an object holding one, or one object per line
        return fromJsonContent(path, jsonKey, cancel);
    if (requested != FileType::Auto)
        return requested;
    const std::string ext = lowerExtension(path);
    if (ext == "jsonl" || ext == "ndjson" || ext == "jsonlines")
        return FileType::JsonLines;
    if (ext == "csv")
        return FileType::Csv;
    if (ext == "tsv" || ext == "tab")
        return FileType::Tsv;
    if (ext == "txt" || ext == "text" || ext == "md")
        return FileType::Text;
    if (ext == "json")
        return fromJsonContent(path, jsonKey, cancel);
    const TopLevelScan scan = scanTopLevel(path, cancel);
    if (scan.firstByte == '{' || scan.firstByte == '[')
        return fromJsonContent(path, jsonKey, cancel);
    throw Error(path + ": cannot tell the file type from the name; expected .jsonl, .json, .csv, .tsv or .txt");
}

} // namespace ps::data
