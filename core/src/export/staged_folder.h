#pragma once
// StagedFolder — an output folder written next to its final place ("<out>.partial.<pid>") and
// renamed into place by commit(), so a failed or interrupted export never leaves a half-written
// folder where the user expects a good one. An existing non-empty folder is only replaced when
// the caller allows it; without commit() the staging folder is removed.
#include <string>

namespace ps::exporting {

class StagedFolder final {
public:
    // Throws ps::Error "<out>: folder exists and is not empty (use --force to replace it)".
    StagedFolder(const std::string& outDir, bool overwrite);
    ~StagedFolder();
    StagedFolder(const StagedFolder&) = delete;
    StagedFolder& operator=(const StagedFolder&) = delete;

    const std::string& path() const { return staging_; }
    std::string file(const std::string& name) const;
    void commit();

private:
    std::string out_;
    std::string staging_;
    bool committed_ = false;
};

} // namespace ps::exporting
