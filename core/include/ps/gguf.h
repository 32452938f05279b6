#pragma once
// GGUF (llama.cpp's model / adapter file format, version 3) — reading, torch-free, public.
//
// Layout (little-endian): "GGUF" magic, u32 version, u64 tensor count, u64 key/value count,
// the key/value pairs (key = u64 length + bytes, u32 value type, value), the tensor infos (name,
// u32 n_dims, u64 ne[n_dims] innermost first, u32 ggml type, u64 offset relative to the data
// section), zero padding to `general.alignment` (default 32), then the tensor data, each tensor
// at an aligned offset. Shapes are in GGML order: ne[0] is the contiguous (innermost) dimension,
// so a row-major torch tensor [rows, cols] is ne = {cols, rows}.
//
// The file is untrusted: every length, count and offset is checked against the bytes that are
// really there before anything is allocated or read; any failure throws ps::Error naming the
// file, the key or tensor and what was expected. Never aborts, never reads out of bounds.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ps {

enum class GgufValueType : std::uint32_t {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
};

// "uint8", ..., "string", "array", "float64"; "?" for anything else.
const char* ggufValueTypeName(GgufValueType type);

// One metadata value. Scalars keep their type; integers are widened into `u` / `i`, floats
// into `f`. Arrays hold their elements (of `arrayType`) in `array`.
struct GgufValue {
    GgufValueType type = GgufValueType::Uint8;
    std::uint64_t u = 0; // Uint8/16/32/64 and Bool
    std::int64_t i = 0;  // Int8/16/32/64
    double f = 0.0;      // Float32/64
    std::string s;       // String
    GgufValueType arrayType = GgufValueType::Uint8;
    std::vector<GgufValue> array;

    // Human-readable value ("lora", 16, [3 x uint32]) for listings.
    std::string toString() const;
};

// ggml tensor types we know the block layout of (F32 = 0, F16 = 1, quantized types, BF16 = 30).
struct GgmlTypeInfo {
    std::uint32_t id = 0;
    const char* name = "";       // "F32", "Q4_K", ...
    std::uint64_t blockSize = 1; // elements per block
    std::uint64_t bytesPerBlock = 4;
};
// nullptr for a type id we do not know.
const GgmlTypeInfo* ggmlTypeInfo(std::uint32_t id);
constexpr std::uint32_t kGgmlTypeF32 = 0;
constexpr std::uint32_t kGgmlTypeF16 = 1;
constexpr std::uint32_t kGgmlTypeBF16 = 30;

struct GgufTensorInfo {
    std::string name;
    std::vector<std::uint64_t> ne; // GGML order: ne[0] innermost
    std::uint32_t type = kGgmlTypeF32;
    std::uint64_t offset = 0;     // relative to the data section, as stored
    std::uint64_t dataOffset = 0; // absolute offset in the file
    std::uint64_t nbytes = 0;
    std::uint64_t numel() const;
};

class GgufFile final {
public:
    static constexpr std::uint32_t kVersion = 3;
    static constexpr std::uint32_t kDefaultAlignment = 32;

    // Maps and validates a .gguf file. Throws ps::Error naming the file.
    static std::shared_ptr<GgufFile> open(const std::string& path);
    // Validates bytes held in memory (fuzzing, tests); `what` names them in errors.
    static std::shared_ptr<GgufFile> fromBytes(std::string bytes, const std::string& what);
    ~GgufFile();

    const std::string& path() const;
    std::uint32_t version() const;
    std::uint32_t alignment() const;
    std::uint64_t dataSectionOffset() const;
    std::uint64_t fileSize() const;
    // Keys in file order (duplicates are rejected).
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const;
    const GgufValue* find(const std::string& key) const;
    // Typed look-ups that throw "<file>: key 'k' missing" / "... is uint32, expected string".
    std::string requireString(const std::string& key) const;
    double requireFloat(const std::string& key) const;
    // Tensors in file order.
    const std::vector<GgufTensorInfo>& tensors() const;
    const GgufTensorInfo* findTensor(const std::string& name) const;
    const void* data(const GgufTensorInfo& info) const;
    // F32, F16 or BF16 data as float32 values (row-major, ne[0] fastest). Throws for other types.
    std::vector<float> floatValues(const GgufTensorInfo& info) const;

private:
    struct Impl;
    explicit GgufFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace ps
