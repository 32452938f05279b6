// GgufFile: a bounds-checked GGUF v2/v3 parser over a memory mapping (or bytes in memory).
// Every count is checked against the bytes left before anything is reserved, so a hostile
// header cannot make us allocate more than a small multiple of the file's size.
#include "export/half_float.h"
#include "ps/error.h"
#include "ps/gguf.h"
#include "util/mapped_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace ps {
namespace {

// Elements of all metadata arrays together: far above any real vocabulary (a 256k-token vocab
// has ~1M entries over its token, score and type arrays), far below what would exhaust memory.
constexpr std::uint64_t kMaxArrayElements = 1ull << 24;
constexpr std::uint64_t kMaxKeyBytes = 65535;     // the spec's limit on key length
constexpr std::uint64_t kMaxTensorNameBytes = 63; // GGML_MAX_NAME (64) minus the terminating NUL
constexpr std::uint32_t kMaxDims = 4;             // GGML_MAX_DIMS

class Cursor final {
public:
    Cursor(const std::uint8_t* data, std::uint64_t size, const std::string& what)
        : data_(data), size_(size), what_(what) {}

    std::uint64_t pos() const { return pos_; }
    std::uint64_t left() const { return size_ - pos_; }

    void need(std::uint64_t n, const std::string& context) const {
        if (n > left())
            throw Error(what_ + ": truncated file: " + context + " needs " + std::to_string(n) + " bytes at offset " +
                        std::to_string(pos_) + ", only " + std::to_string(left()) + " left");
    }
    template <typename T> T read(const std::string& context) {
        need(sizeof(T), context);
        T v;
        std::memcpy(&v, data_ + pos_, sizeof(T)); // GGUF is little-endian, as every platform we build for
        pos_ += sizeof(T);
        return v;
    }
    std::string readString(const std::string& context, std::uint64_t maxBytes) {
        const auto n = read<std::uint64_t>(context + " (length)");
        if (n > maxBytes)
            throw Error(what_ + ": " + context + " is " + std::to_string(n) + " bytes long (at most " +
                        std::to_string(maxBytes) + " allowed)");
        need(n, context);
        std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(n));
        pos_ += n;
        return s;
    }

private:
    const std::uint8_t* data_;
    std::uint64_t size_;
    std::uint64_t pos_ = 0;
    const std::string& what_;
};

// Smallest encoding of one value of `type` (for checking array counts before reserving).
std::uint64_t minValueBytes(GgufValueType type) {
    switch (type) {
    case GgufValueType::Uint8:
    case GgufValueType::Int8:
    case GgufValueType::Bool:
        return 1;
    case GgufValueType::Uint16:
    case GgufValueType::Int16:
        return 2;
    case GgufValueType::Uint32:
    case GgufValueType::Int32:
    case GgufValueType::Float32:
        return 4;
    case GgufValueType::String: // u64 length
    case GgufValueType::Uint64:
    case GgufValueType::Int64:
    case GgufValueType::Float64:
        return 8;
    case GgufValueType::Array:
        return 12;
    }
    return 1;
}

bool knownValueType(std::uint32_t t) {
    return t <= static_cast<std::uint32_t>(GgufValueType::Float64);
}

GgufValue readScalar(Cursor& c, GgufValueType type, const std::string& context) {
    GgufValue v;
    v.type = type;
    switch (type) {
    case GgufValueType::Uint8:
        v.u = c.read<std::uint8_t>(context);
        break;
    case GgufValueType::Int8:
        v.i = c.read<std::int8_t>(context);
        break;
    case GgufValueType::Uint16:
        v.u = c.read<std::uint16_t>(context);
        break;
    case GgufValueType::Int16:
        v.i = c.read<std::int16_t>(context);
        break;
    case GgufValueType::Uint32:
        v.u = c.read<std::uint32_t>(context);
        break;
    case GgufValueType::Int32:
        v.i = c.read<std::int32_t>(context);
        break;
    case GgufValueType::Float32:
        v.f = c.read<float>(context);
        break;
    case GgufValueType::Bool:
        v.u = c.read<std::uint8_t>(context) != 0 ? 1 : 0;
        break;
    case GgufValueType::String:
        v.s = c.readString(context, std::numeric_limits<std::uint64_t>::max());
        break;
    case GgufValueType::Uint64:
        v.u = c.read<std::uint64_t>(context);
        break;
    case GgufValueType::Int64:
        v.i = c.read<std::int64_t>(context);
        break;
    case GgufValueType::Float64:
        v.f = c.read<double>(context);
        break;
    case GgufValueType::Array:
        break; // handled by the caller
    }
    return v;
}

std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) / a * a;
}

} // namespace

struct GgufFile::Impl {
    std::string path;
    std::shared_ptr<MappedFile> mapping;
    std::string bytes;
    const std::uint8_t* data = nullptr;
    std::uint64_t size = 0;
    std::uint32_t version = 0;
    std::uint32_t alignment = kDefaultAlignment;
    std::uint64_t dataSection = 0;
    std::vector<std::pair<std::string, GgufValue>> metadata;
    std::vector<GgufTensorInfo> tensors;

    void parse();
    void parseMetadata(Cursor& c, std::uint64_t count);
    void parseTensorInfos(Cursor& c, std::uint64_t count);
};

void GgufFile::Impl::parse() {
    Cursor c(data, size, path);
    c.need(24, "the GGUF header");
    if (std::memcmp(data, "GGUF", 4) != 0)
        throw Error(path + ": not a GGUF file (the first 4 bytes are not \"GGUF\")");
    c.read<std::uint32_t>("magic");
    version = c.read<std::uint32_t>("version");
    if (version != 2 && version != 3)
        throw Error(path + ": GGUF version " + std::to_string(version) + " is not supported (expected 3, or 2)");
    const auto tensorCount = c.read<std::uint64_t>("tensor count");
    const auto kvCount = c.read<std::uint64_t>("metadata count");
    // A key/value pair takes at least 13 bytes, a tensor info at least 32.
    if (kvCount > c.left() / 13)
        throw Error(path + ": header claims " + std::to_string(kvCount) + " metadata entries, more than the " +
                    std::to_string(c.left()) + " bytes left can hold");
    parseMetadata(c, kvCount);
    if (tensorCount > c.left() / 32)
        throw Error(path + ": header claims " + std::to_string(tensorCount) + " tensors, more than the " +
                    std::to_string(c.left()) + " bytes left can hold");
    parseTensorInfos(c, tensorCount);
    dataSection = alignUp(c.pos(), alignment);

    // Tensor data: aligned, inside the file, no two tensors overlapping.
    std::vector<const GgufTensorInfo*> byOffset;
    for (auto& t : tensors) {
        if (t.offset % alignment != 0)
            throw Error(path + ": tensor '" + t.name + "' has offset " + std::to_string(t.offset) +
                        ", not a multiple of the alignment " + std::to_string(alignment));
        if (t.offset > size || dataSection > size - t.offset || t.nbytes > size - dataSection - t.offset)
            throw Error(path + ": tensor '" + t.name + "' (" + std::to_string(t.nbytes) + " bytes at data offset " +
                        std::to_string(t.offset) + ") lies beyond the end of the file (" + std::to_string(size) +
                        " bytes; truncated?)");
        t.dataOffset = dataSection + t.offset;
        byOffset.push_back(&t);
    }
    std::sort(byOffset.begin(), byOffset.end(),
              [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t k = 1; k < byOffset.size(); ++k)
        if (byOffset[k - 1]->offset + byOffset[k - 1]->nbytes > byOffset[k]->offset)
            throw Error(path + ": tensors '" + byOffset[k - 1]->name + "' and '" + byOffset[k]->name + "' overlap");
}

void GgufFile::Impl::parseMetadata(Cursor& c, std::uint64_t count) {
    std::set<std::string> seen;
    std::uint64_t arrayElements = 0;
    metadata.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t k = 0; k < count; ++k) {
        const std::string entry = "metadata entry " + std::to_string(k);
        std::string key = c.readString(entry + " key", kMaxKeyBytes);
        if (!seen.insert(key).second)
            throw Error(path + ": metadata key '" + key + "' appears twice");
        const std::string ctx = "value of key '" + key + "'";
        const auto rawType = c.read<std::uint32_t>(ctx + " (type)");
        if (!knownValueType(rawType))
            throw Error(path + ": key '" + key + "' has unknown value type " + std::to_string(rawType));
        const auto type = static_cast<GgufValueType>(rawType);
        GgufValue v;
        if (type == GgufValueType::Array) {
            v.type = type;
            const auto rawElem = c.read<std::uint32_t>(ctx + " (array element type)");
            if (!knownValueType(rawElem))
                throw Error(path + ": key '" + key + "' is an array of unknown value type " + std::to_string(rawElem));
            v.arrayType = static_cast<GgufValueType>(rawElem);
            if (v.arrayType == GgufValueType::Array)
                throw Error(path + ": key '" + key + "' is an array of arrays (not supported, as in llama.cpp)");
            const auto n = c.read<std::uint64_t>(ctx + " (array length)");
            if (n > c.left() / minValueBytes(v.arrayType))
                throw Error(path + ": key '" + key + "' claims " + std::to_string(n) +
                            " array elements, more than the " + std::to_string(c.left()) +
                            " bytes left can hold (truncated?)");
            arrayElements += n;
            if (arrayElements > kMaxArrayElements)
                throw Error(path + ": key '" + key + "': metadata arrays hold more than " +
                            std::to_string(kMaxArrayElements) + " elements in total");
            v.array.reserve(static_cast<std::size_t>(n));
            for (std::uint64_t e = 0; e < n; ++e)
                v.array.push_back(readScalar(c, v.arrayType, ctx + " element " + std::to_string(e)));
        } else {
            v = readScalar(c, type, ctx);
        }
        if (key == "general.alignment") {
            if (v.type != GgufValueType::Uint32)
                throw Error(path + ": key 'general.alignment' is " + ggufValueTypeName(v.type) + ", expected uint32");
            if (v.u == 0 || (v.u & (v.u - 1)) != 0)
                throw Error(path + ": general.alignment is " + std::to_string(v.u) + ", expected a power of two");
            alignment = static_cast<std::uint32_t>(v.u);
        }
        metadata.emplace_back(std::move(key), std::move(v));
    }
}

void GgufFile::Impl::parseTensorInfos(Cursor& c, std::uint64_t count) {
    std::set<std::string> seen;
    tensors.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t k = 0; k < count; ++k) {
        GgufTensorInfo t;
        t.name = c.readString("tensor info " + std::to_string(k) + " name", kMaxTensorNameBytes);
        if (!seen.insert(t.name).second)
            throw Error(path + ": tensor '" + t.name + "' appears twice");
        const std::string ctx = "tensor '" + t.name + "'";
        const auto nDims = c.read<std::uint32_t>(ctx + " (n_dims)");
        if (nDims == 0 || nDims > kMaxDims)
            throw Error(path + ": " + ctx + " has " + std::to_string(nDims) + " dimensions (expected 1 to " +
                        std::to_string(kMaxDims) + ")");
        std::uint64_t numel = 1;
        for (std::uint32_t d = 0; d < nDims; ++d) {
            const auto n = c.read<std::uint64_t>(ctx + " (dimension " + std::to_string(d) + ")");
            if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
                (n != 0 && numel > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / n))
                throw Error(path + ": " + ctx + " has an impossible shape (element count overflows)");
            numel *= n;
            t.ne.push_back(n);
        }
        t.type = c.read<std::uint32_t>(ctx + " (type)");
        const GgmlTypeInfo* info = ggmlTypeInfo(t.type);
        if (!info)
            throw Error(path + ": " + ctx + " has unknown ggml type " + std::to_string(t.type));
        if (t.ne[0] % info->blockSize != 0)
            throw Error(path + ": " + ctx + " has ne[0] = " + std::to_string(t.ne[0]) + ", not a multiple of the " +
                        info->name + " block size " + std::to_string(info->blockSize));
        const std::uint64_t blocks = numel / info->blockSize;
        if (blocks > std::numeric_limits<std::uint64_t>::max() / info->bytesPerBlock)
            throw Error(path + ": " + ctx + " is too large");
        t.nbytes = blocks * info->bytesPerBlock;
        t.offset = c.read<std::uint64_t>(ctx + " (offset)");
        tensors.push_back(std::move(t));
    }
}

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->mapping = MappedFile::open(path);
    impl->data = impl->mapping->data();
    impl->size = impl->mapping->size();
    impl->parse();
    return std::shared_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

std::shared_ptr<GgufFile> GgufFile::fromBytes(std::string bytes, const std::string& what) {
    auto impl = std::make_unique<Impl>();
    impl->path = what;
    impl->bytes = std::move(bytes);
    impl->data = reinterpret_cast<const std::uint8_t*>(impl->bytes.data());
    impl->size = impl->bytes.size();
    impl->parse();
    return std::shared_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

const std::string& GgufFile::path() const {
    return impl_->path;
}
std::uint32_t GgufFile::version() const {
    return impl_->version;
}
std::uint32_t GgufFile::alignment() const {
    return impl_->alignment;
}
std::uint64_t GgufFile::dataSectionOffset() const {
    return impl_->dataSection;
}
std::uint64_t GgufFile::fileSize() const {
    return impl_->size;
}
const std::vector<std::pair<std::string, GgufValue>>& GgufFile::metadata() const {
    return impl_->metadata;
}
const std::vector<GgufTensorInfo>& GgufFile::tensors() const {
    return impl_->tensors;
}

const GgufValue* GgufFile::find(const std::string& key) const {
    for (const auto& [k, v] : impl_->metadata)
        if (k == key)
            return &v;
    return nullptr;
}

std::string GgufFile::requireString(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v)
        throw Error(impl_->path + ": metadata key '" + key + "' is missing");
    if (v->type != GgufValueType::String)
        throw Error(impl_->path + ": metadata key '" + key + "' is " + ggufValueTypeName(v->type) +
                    ", expected string");
    return v->s;
}

double GgufFile::requireFloat(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v)
        throw Error(impl_->path + ": metadata key '" + key + "' is missing");
    if (v->type != GgufValueType::Float32 && v->type != GgufValueType::Float64)
        throw Error(impl_->path + ": metadata key '" + key + "' is " + ggufValueTypeName(v->type) +
                    ", expected float32");
    return v->f;
}

const GgufTensorInfo* GgufFile::findTensor(const std::string& name) const {
    for (const auto& t : impl_->tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

const void* GgufFile::data(const GgufTensorInfo& info) const {
    return impl_->data + info.dataOffset;
}

std::vector<float> GgufFile::floatValues(const GgufTensorInfo& info) const {
    const std::uint8_t* p = impl_->data + info.dataOffset;
    const std::uint64_t n = info.numel();
    std::vector<float> out(static_cast<std::size_t>(n));
    if (info.type == kGgmlTypeF32) {
        if (n) // a tensor with a zero dimension: out.data() may be null, which memcpy must not get
            std::memcpy(out.data(), p, static_cast<std::size_t>(n) * 4);
    } else if (info.type == kGgmlTypeF16 || info.type == kGgmlTypeBF16) {
        for (std::uint64_t k = 0; k < n; ++k) {
            std::uint16_t h;
            std::memcpy(&h, p + 2 * k, 2);
            if (info.type == kGgmlTypeF16) {
                out[k] = gguf::halfToFloat(h);
            } else {
                const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
                std::memcpy(&out[k], &bits, 4);
            }
        }
    } else {
        const GgmlTypeInfo* t = ggmlTypeInfo(info.type);
        throw Error(impl_->path + ": tensor '" + info.name + "' is " + (t ? t->name : "?") +
                    "; only F32, F16 and BF16 tensors can be read as floats");
    }
    return out;
}

} // namespace ps
