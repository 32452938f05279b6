#pragma once
// Short human-readable numbers for lists and tables: what a model list shows in a column.
#include <cstdint>
#include <string>

namespace ps {

// Parameter counts the way model cards write them: "999", "220K", "1.5M", "135M", "1.1B", "70B".
std::string formatParameterCount(std::int64_t count);

// Sizes on disk in decimal units, as the Hugging Face hub and file managers show them:
// "12 B", "884 KB", "1.2 MB", "540 MB", "14 GB".
std::string formatByteSize(std::uint64_t bytes);

} // namespace ps
