#pragma once
// Helpers shared by the dataset suites: files written into a per-suite temporary folder, and
// reading every record of a file (or the error it gives) in one call.
#include "ps/dataset.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <string>
#include <vector>

namespace ps::testing {

inline std::string writeFile(const QTemporaryDir& dir, const std::string& name, const std::string& bytes) {
    const std::string path = dir.path().toStdString() + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
}

struct ReadResult {
    std::vector<DataRecord> records;
    DatasetInfo info;
    std::string error; // empty when reading succeeded
};

inline ReadResult readAll(const std::string& path, const ReadOptions& options = {}) {
    ReadResult r;
    try {
        DatasetReader reader(path, options);
        DataRecord rec;
        while (reader.next(rec))
            r.records.push_back(rec);
        r.info = reader.info();
    } catch (const Error& e) {
        r.error = e.what();
    }
    return r;
}

inline QString q(const std::string& s) {
    return QString::fromStdString(s);
}

} // namespace ps::testing
