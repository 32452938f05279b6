#pragma once
// safetensors reading and writing — torch-free, public.
//
// Reader: the file is memory-mapped; the header is validated completely before any tensor
// byte is touched (header length capped, JSON, dtype names, shape x dtype size == span of
// data_offsets, offsets inside the file and non-overlapping). Any failure throws ps::Error
// naming the file and, where it applies, the tensor.
// Writer: the reference layout (8-byte little-endian header length, JSON header padded with
// spaces to a multiple of 8, tensors in header order, "__metadata__" with {"format":"pt"}),
// written atomically (temp file + rename).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ps {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

std::size_t dtypeSize(DType dtype);
// The safetensors spelling: "F32", "BF16", ...
const char* dtypeName(DType dtype);
// Parses a safetensors dtype name; returns false for an unknown one.
bool parseDType(const std::string& name, DType* out);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t dataOffset = 0; // absolute offset of the first byte in the file
    std::uint64_t nbytes = 0;
    std::int64_t numel() const;
};

// Only safetensors weights are ever loaded: PyTorch's pickled checkpoints (pytorch_model.bin,
// adapter_model.bin, *.pt, *.pth, *.ckpt) can run arbitrary code when unpickled.
// True for such a file name.
bool isPickleWeightsName(const std::string& fileName);
// "<path>: a pickled PyTorch checkpoint; ... convert it once with: python -c ..." — the refusal
// for one pickle file, with a one-line conversion command for it.
std::string pickleRefusalMessage(const std::string& path);

class SafetensorsFile final {
public:
    // Largest header we accept (the reference implementation uses 100 MB too).
    static constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

    // Opens and validates one .safetensors file. Throws ps::Error.
    static std::shared_ptr<SafetensorsFile> open(const std::string& path);
    ~SafetensorsFile();

    const std::string& path() const;
    // Tensors in the order of their data offsets.
    const std::vector<TensorInfo>& tensors() const;
    const TensorInfo* find(const std::string& name) const;
    // Pointer to the tensor's bytes inside the mapping (valid while this object lives).
    const void* data(const TensorInfo& info) const;
    const std::map<std::string, std::string>& metadata() const;
    std::uint64_t fileSize() const;

private:
    struct Impl;
    explicit SafetensorsFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// A model checkpoint: a folder with model.safetensors, or a sharded set described by
// model.safetensors.index.json (each shard opened and validated; tensors must be where the
// index says). Also accepts the path of a single .safetensors file.
class SafetensorsCheckpoint final {
public:
    static std::shared_ptr<SafetensorsCheckpoint> open(const std::string& dirOrFile);

    const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
    // All tensor names, sorted.
    std::vector<std::string> names() const;
    // Returns nullptr when absent; `file` receives the shard holding it.
    const TensorInfo* find(const std::string& name, const SafetensorsFile** file = nullptr) const;
    std::uint64_t totalBytes() const;

private:
    std::vector<std::shared_ptr<SafetensorsFile>> files_;
    std::map<std::string, std::pair<const SafetensorsFile*, const TensorInfo*>> index_;
};

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void* data = nullptr; // nbytes = numel * dtypeSize
};

// Writes a safetensors file atomically. Names must be unique; metadata always gets
// "format": "pt" unless the caller sets "format" itself.
void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      std::map<std::string, std::string> metadata = {});
// The exact size in bytes of the file writeSafetensors() would write for these tensors (their
// `data` may be null): what a saved adapter will take on disk, known before training.
std::uint64_t safetensorsFileSize(const std::vector<TensorToWrite>& tensors,
                                  std::map<std::string, std::string> metadata = {});

} // namespace ps
