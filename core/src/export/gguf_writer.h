#pragma once
// GgufWriter — serializes a GGUF v3 file (layout in ps/gguf.h): metadata in insertion
// order, tensor infos, zero padding to 32 bytes, then each tensor's bytes at the next 32-byte
// boundary (llama.cpp's loader expects exactly this packing: every offset = the previous
// tensor's end rounded up to the alignment). Torch-free.
#include "ps/gguf.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::gguf {

struct TensorToWrite {
    std::string name;              // at most 63 bytes (GGML_MAX_NAME)
    std::vector<std::uint64_t> ne; // GGML order: ne[0] innermost
    std::uint32_t type = kGgmlTypeF32;
    std::vector<std::uint8_t> bytes; // exactly numel * type size
};

class GgufWriter final {
public:
    void addString(const std::string& key, const std::string& value);
    void addUint32(const std::string& key, std::uint32_t value);
    void addFloat32(const std::string& key, float value);
    void addBool(const std::string& key, bool value);
    // Checks the name, shape and byte count; throws ps::Error naming the tensor.
    void addTensor(TensorToWrite tensor);

    // The whole file. Callers parse it back before writing it with writeFileAtomic (adapter
    // files are small enough to hold in memory).
    std::string serialize() const;

private:
    struct Entry {
        std::string key;
        GgufValueType type;
        std::string payload; // encoded value
    };
    void addEntry(const std::string& key, GgufValueType type, std::string payload);
    std::string header() const;

    std::vector<Entry> entries_;
    std::vector<TensorToWrite> tensors_;
};

} // namespace ps::gguf
