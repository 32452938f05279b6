#pragma once
// Content hashes for the dataset cache key (SHA-256 from the tokenizer area, which hashes the
// tokenizer files the same way).
#include <atomic>
#include <string>

namespace ps::data {

std::string sha256Hex(const std::string& data);
// Streams the file in 1 MiB blocks; checks `cancel` between blocks.
std::string sha256File(const std::string& path, const std::atomic<bool>* cancel = nullptr);

} // namespace ps::data
