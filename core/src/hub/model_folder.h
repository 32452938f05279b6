#pragma once
// What is inside one model folder, gathered without reading any weights: the files (links
// followed, each target counted once), links whose target is missing, and which kinds of
// weight files are there. Shared by the cache scan and user folders.
#include <cstdint>
#include <string>
#include <vector>

namespace ps::hub {

struct FolderContents {
    std::uint64_t sizeBytes = 0;            // distinct link targets / files, each counted once
    std::vector<std::string> danglingLinks; // relative paths of links whose target is missing
    bool hasConfig = false;                 // config.json present (possibly as a dangling link)
    bool hasSafetensors = false;
    bool hasPickleWeights = false; // pytorch_model*.bin / *.pt / *.pth
    std::string readError;         // non-empty when the folder could not be listed
};

// Lists `dir` (sub-folders up to a few levels deep; linked folders are not entered, so a link
// loop cannot trap the scan). Never throws.
FolderContents scanFolder(const std::string& dir);

} // namespace ps::hub
