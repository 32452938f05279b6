#pragma once
// `peft-studio-cli inspect FILE.gguf`: header, metadata and tensor table of a GGUF file.
#include <string>

namespace ps::cli {

bool looksLikeGguf(const std::string& path);
int inspectGgufFile(const std::string& path, bool json);

} // namespace ps::cli
