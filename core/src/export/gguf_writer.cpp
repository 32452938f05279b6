#include "export/gguf_writer.h"

#include "ps/error.h"

#include <cstring>
#include <limits>
#include <set>

namespace ps::gguf {
namespace {

constexpr std::uint64_t kAlignment = GgufFile::kDefaultAlignment;

template <typename T> void put(std::string& out, T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T)); // little-endian hosts only, as the reader
    out.append(buf, sizeof(T));
}

void putString(std::string& out, const std::string& s) {
    put<std::uint64_t>(out, s.size());
    out += s;
}

std::uint64_t alignUp(std::uint64_t v) {
    return (v + kAlignment - 1) / kAlignment * kAlignment;
}

} // namespace

void GgufWriter::addEntry(const std::string& key, GgufValueType type, std::string payload) {
    // The writer always aligns to 32 bytes; a general.alignment saying otherwise (or of another
    // type) makes a file that readers refuse or misread (found by tests/fuzz/fuzz_gguf).
    if (key == "general.alignment") {
        std::uint32_t value = 0;
        if (type == GgufValueType::Uint32)
            std::memcpy(&value, payload.data(), sizeof value);
        if (type != GgufValueType::Uint32 || value != kAlignment)
            throw Error("GGUF writer: general.alignment must be the uint32 " + std::to_string(kAlignment) +
                        " (the writer aligns tensors to 32 bytes)");
    }
    for (const auto& e : entries_)
        if (e.key == key)
            throw Error("GGUF writer: metadata key '" + key + "' added twice");
    entries_.push_back({key, type, std::move(payload)});
}

void GgufWriter::addString(const std::string& key, const std::string& value) {
    std::string p;
    putString(p, value);
    addEntry(key, GgufValueType::String, std::move(p));
}

void GgufWriter::addUint32(const std::string& key, std::uint32_t value) {
    std::string p;
    put(p, value);
    addEntry(key, GgufValueType::Uint32, std::move(p));
}

void GgufWriter::addFloat32(const std::string& key, float value) {
    std::string p;
    put(p, value);
    addEntry(key, GgufValueType::Float32, std::move(p));
}

void GgufWriter::addBool(const std::string& key, bool value) {
    std::string p;
    put<std::uint8_t>(p, value ? 1 : 0);
    addEntry(key, GgufValueType::Bool, std::move(p));
}

void GgufWriter::addTensor(TensorToWrite tensor) {
    if (tensor.name.empty() || tensor.name.size() > 63)
        throw Error("GGUF writer: tensor name '" + tensor.name + "' must be 1 to 63 bytes long");
    for (const auto& t : tensors_)
        if (t.name == tensor.name)
            throw Error("GGUF writer: tensor '" + tensor.name + "' added twice");
    if (tensor.ne.empty() || tensor.ne.size() > 4)
        throw Error("GGUF writer: tensor '" + tensor.name + "' must have 1 to 4 dimensions");
    const GgmlTypeInfo* info = ggmlTypeInfo(tensor.type);
    if (!info || info->blockSize != 1)
        throw Error("GGUF writer: tensor '" + tensor.name + "': only unquantized types are written");
    // The element count must fit in int64, as the reader requires (it used to wrap around, so a
    // huge shape with few bytes was written and then refused on reading; found by fuzz_gguf).
    constexpr auto kMaxElements = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t numel = 1;
    for (const auto d : tensor.ne) {
        if (d > kMaxElements || (d != 0 && numel > kMaxElements / d))
            throw Error("GGUF writer: tensor '" + tensor.name + "' has an impossible shape (element count overflows)");
        numel *= d;
    }
    if (numel > kMaxElements / info->bytesPerBlock)
        throw Error("GGUF writer: tensor '" + tensor.name + "' is too large");
    if (tensor.bytes.size() != numel * info->bytesPerBlock)
        throw Error("GGUF writer: tensor '" + tensor.name + "' has " + std::to_string(tensor.bytes.size()) +
                    " bytes, expected " + std::to_string(numel * info->bytesPerBlock));
    tensors_.push_back(std::move(tensor));
}

std::string GgufWriter::header() const {
    std::string out;
    out += "GGUF";
    put<std::uint32_t>(out, GgufFile::kVersion);
    put<std::uint64_t>(out, tensors_.size());
    put<std::uint64_t>(out, entries_.size());
    for (const auto& e : entries_) {
        putString(out, e.key);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(e.type));
        out += e.payload;
    }
    std::uint64_t offset = 0;
    for (const auto& t : tensors_) {
        putString(out, t.name);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()));
        for (const auto d : t.ne)
            put<std::uint64_t>(out, d);
        put<std::uint32_t>(out, t.type);
        put<std::uint64_t>(out, offset);
        offset = alignUp(offset + t.bytes.size());
    }
    out.resize(static_cast<std::size_t>(alignUp(out.size())), '\0');
    return out;
}

std::string GgufWriter::serialize() const {
    std::string out = header();
    for (const auto& t : tensors_) {
        out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
        out.resize(static_cast<std::size_t>(alignUp(out.size())), '\0');
    }
    return out;
}

} // namespace ps::gguf
