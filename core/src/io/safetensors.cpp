#include "ps/safetensors.h"

#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"
#include "util/mapped_file.h"

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <limits>

namespace ps {

std::size_t dtypeSize(DType dtype) {
    switch (dtype) {
    case DType::F64:
    case DType::I64: return 8;
    case DType::F32:
    case DType::I32: return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16: return 2;
    case DType::I8:
    case DType::U8:
    case DType::BOOL: return 1;
    }
    return 1;
}

const char* dtypeName(DType dtype) {
    switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
    }
    return "?";
}

bool parseDType(const std::string& name, DType* out) {
    static const std::pair<const char*, DType> table[] = {
        {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
        {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16},   {"I8", DType::I8},
        {"U8", DType::U8},   {"BOOL", DType::BOOL}};
    for (const auto& [n, d] : table) {
        if (name == n) {
            *out = d;
            return true;
        }
    }
    return false;
}

std::int64_t TensorInfo::numel() const {
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    return n;
}

struct SafetensorsFile::Impl {
    std::shared_ptr<MappedFile> map;
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::size_t> byName;
    std::map<std::string, std::string> metadata;
};

namespace {

std::uint64_t readLe64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// Multiplies checked for overflow; returns false on overflow.
bool mulChecked(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
        return false;
    *out = a * b;
    return true;
}

TensorInfo parseEntry(const std::string& path, const std::string& name, const Json& entry) {
    const std::string where = path + ": tensor '" + name + "'";
    if (!entry.is_object())
        throw Error(where + ": header entry must be an object with dtype, shape, data_offsets");
    TensorInfo info;
    info.name = name;
    auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string())
        throw Error(where + ": missing string 'dtype'");
    if (!parseDType(dt->get<std::string>(), &info.dtype))
        throw Error(where + ": unknown dtype '" + dt->get<std::string>() +
                    "' (expected F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL)");
    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        throw Error(where + ": missing array 'shape'");
    std::uint64_t numel = 1;
    for (const auto& d : *shape) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
            throw Error(where + ": shape entries must be non-negative integers, found " + d.dump());
        const auto dim = d.get<std::uint64_t>();
        if (!mulChecked(numel, dim, &numel) || dim > (1ull << 48))
            throw Error(where + ": shape " + shape->dump() + " is too large");
        info.shape.push_back(static_cast<std::int64_t>(dim));
    }
    auto offs = entry.find("data_offsets");
    if (offs == entry.end() || !offs->is_array() || offs->size() != 2 || !(*offs)[0].is_number_unsigned() ||
        !(*offs)[1].is_number_unsigned())
        throw Error(where + ": 'data_offsets' must be [begin, end] with non-negative integers");
    const auto begin = (*offs)[0].get<std::uint64_t>();
    const auto end = (*offs)[1].get<std::uint64_t>();
    if (end < begin)
        throw Error(where + ": data_offsets end " + std::to_string(end) + " is before begin " + std::to_string(begin));
    std::uint64_t expected = 0;
    if (!mulChecked(numel, dtypeSize(info.dtype), &expected) || expected != end - begin)
        throw Error(where + ": shape " + shape->dump() + " x " + dtypeName(info.dtype) + " needs " +
                    std::to_string(expected) + " bytes but data_offsets span " + std::to_string(end - begin));
    info.dataOffset = begin; // relative for now
    info.nbytes = end - begin;
    return info;
}

// Position of a dtype in the reference implementation's Dtype enum (BOOL, U8, I8, F8*, I16, U16,
// F16, BF16, I32, U32, F32, F64, I64, U64): its writer sorts tensors by it, descending.
int writerRank(DType d) {
    switch (d) {
    case DType::BOOL: return 0;
    case DType::U8: return 1;
    case DType::I8: return 2;
    case DType::I16: return 5;
    case DType::F16: return 7;
    case DType::BF16: return 8;
    case DType::I32: return 9;
    case DType::F32: return 11;
    case DType::F64: return 12;
    case DType::I64: return 13;
    }
    return 0;
}

} // namespace

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->map = MappedFile::open(path);
    const std::uint64_t size = impl->map->size();
    // A safetensors header (8-byte length, then '{') is what we load; anything else named like a
    // PyTorch checkpoint, or starting like one (torch.save's zip "PK\3\4", a raw pickle 0x80 with
    // protocol 2-5), is refused with the conversion command rather than "bad header length".
    const unsigned char* head = impl->map->data();
    const bool safetensorsLike = size >= 9 && head[8] == '{';
    const bool zip = size >= 4 && std::memcmp(head, "PK\3\4", 4) == 0;
    const bool pickle = size >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5;
    if (!safetensorsLike && (zip || pickle || isPickleWeightsName(path)))
        throw Error(pickleRefusalMessage(path));
    if (size < 8)
        throw Error(path + ": file is " + std::to_string(size) + " bytes, too short for a safetensors header");
    const std::uint64_t headerLen = readLe64(impl->map->data());
    if (headerLen > kMaxHeaderBytes)
        throw Error(path + ": header length " + std::to_string(headerLen) + " exceeds the " +
                    std::to_string(kMaxHeaderBytes) + "-byte limit (not a safetensors file?)");
    if (headerLen > size - 8)
        throw Error(path + ": header length " + std::to_string(headerLen) + " runs past the end of the file (" +
                    std::to_string(size) + " bytes; truncated?)");
    const std::string headerText(reinterpret_cast<const char*>(impl->map->data() + 8), headerLen);
    checkJsonNesting(headerText, path + ": header");
    Json header;
    try {
        header = Json::parse(headerText);
    } catch (const Json::exception& e) {
        throw Error(path + ": header is not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!header.is_object())
        throw Error(path + ": header must be a JSON object");
    const std::uint64_t dataStart = 8 + headerLen;
    const std::uint64_t dataSize = size - dataStart;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object())
                throw Error(path + ": __metadata__ must be an object of strings");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string())
                    throw Error(path + ": __metadata__ value '" + m.key() + "' must be a string");
                impl->metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        TensorInfo info = parseEntry(path, it.key(), *it);
        if (info.dataOffset + info.nbytes > dataSize)
            throw Error(path + ": tensor '" + info.name + "': data_offsets [" + std::to_string(info.dataOffset) + ", " +
                        std::to_string(info.dataOffset + info.nbytes) + "] run past the end of the data (" +
                        std::to_string(dataSize) + " bytes; truncated file?)");
        impl->tensors.push_back(std::move(info));
    }
    std::sort(impl->tensors.begin(), impl->tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return a.dataOffset != b.dataOffset ? a.dataOffset < b.dataOffset : a.nbytes < b.nbytes;
    });
    for (std::size_t i = 0; i + 1 < impl->tensors.size(); ++i) {
        const auto& a = impl->tensors[i];
        const auto& b = impl->tensors[i + 1];
        if (a.dataOffset + a.nbytes > b.dataOffset && b.nbytes > 0 && a.nbytes > 0)
            throw Error(path + ": tensors '" + a.name + "' and '" + b.name + "' overlap in the data section");
    }
    for (std::size_t i = 0; i < impl->tensors.size(); ++i) {
        impl->tensors[i].dataOffset += dataStart;
        impl->byName[impl->tensors[i].name] = i;
    }
    return std::shared_ptr<SafetensorsFile>(new SafetensorsFile(std::move(impl)));
}

const std::string& SafetensorsFile::path() const { return impl_->map->path(); }
const std::vector<TensorInfo>& SafetensorsFile::tensors() const { return impl_->tensors; }
const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = impl_->byName.find(name);
    return it == impl_->byName.end() ? nullptr : &impl_->tensors[it->second];
}
const void* SafetensorsFile::data(const TensorInfo& info) const { return impl_->map->data() + info.dataOffset; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }
std::uint64_t SafetensorsFile::fileSize() const { return impl_->map->size(); }

std::shared_ptr<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::string& dirOrFile) {
    auto ckpt = std::make_shared<SafetensorsCheckpoint>();
    auto addFile = [&](const std::string& file) {
        auto f = SafetensorsFile::open(file);
        for (const auto& t : f->tensors()) {
            auto [it, inserted] = ckpt->index_.emplace(t.name, std::make_pair(f.get(), &t));
            if (!inserted)
                throw Error(file + ": tensor '" + t.name + "' also appears in " + it->second.first->path());
        }
        ckpt->files_.push_back(std::move(f));
    };
    if (isRegularFile(dirOrFile)) {
        addFile(dirOrFile);
        return ckpt;
    }
    if (!isDirectory(dirOrFile))
        throw Error(dirOrFile + ": no such file or folder");
    const std::string single = joinPath(dirOrFile, "model.safetensors");
    const std::string indexPath = joinPath(dirOrFile, "model.safetensors.index.json");
    if (isRegularFile(single)) {
        addFile(single);
        return ckpt;
    }
    if (!isRegularFile(indexPath)) {
        std::string hint, pickles;
        std::error_code ec;
        for (std::filesystem::directory_iterator it(dirOrFile, ec), end; !ec && it != end; it.increment(ec))
            if (isPickleWeightsName(it->path().filename().string()))
                pickles += (pickles.empty() ? "" : ", ") + it->path().filename().string();
        if (!pickles.empty())
            hint = " It has " + pickles +
                   ": pickled PyTorch checkpoints are never loaded (unpickling can run arbitrary code); convert the "
                   "folder once with `python -c \"from transformers import AutoModelForCausalLM as M; "
                   "M.from_pretrained('" + dirOrFile + "').save_pretrained('" + dirOrFile +
                   "', safe_serialization=True)\"`.";
        throw Error(dirOrFile + ": no model.safetensors or model.safetensors.index.json found." + hint);
    }
    const Json index = parseJsonFile(indexPath, 64ull << 20);
    auto wm = index.find("weight_map");
    if (wm == index.end() || !wm->is_object())
        throw Error(indexPath + ": missing object 'weight_map'");
    std::map<std::string, std::vector<std::string>> shardTensors;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        if (!it->is_string())
            throw Error(indexPath + ": weight_map['" + it.key() + "'] must be a file name");
        const std::string shard = it->get<std::string>();
        if (shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos || shard == ".." ||
            shard.empty())
            throw Error(indexPath + ": weight_map['" + it.key() + "'] = '" + shard +
                        "' must be a plain file name inside the model folder");
        shardTensors[shard].push_back(it.key());
    }
    for (const auto& [shard, names] : shardTensors) {
        const std::string shardPath = joinPath(dirOrFile, shard);
        addFile(shardPath);
        for (const auto& n : names) {
            auto it = ckpt->index_.find(n);
            if (it == ckpt->index_.end() || it->second.first->path() != shardPath)
                throw Error(indexPath + ": tensor '" + n + "' is listed in " + shard + " but not found there");
        }
    }
    return ckpt;
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
    std::vector<std::string> out;
    out.reserve(index_.size());
    for (const auto& kv : index_)
        out.push_back(kv.first);
    return out;
}

const TensorInfo* SafetensorsCheckpoint::find(const std::string& name, const SafetensorsFile** file) const {
    auto it = index_.find(name);
    if (it == index_.end())
        return nullptr;
    if (file)
        *file = it->second.first;
    return it->second.second;
}

std::uint64_t SafetensorsCheckpoint::totalBytes() const {
    std::uint64_t total = 0;
    for (const auto& f : files_)
        total += f->fileSize();
    return total;
}

namespace {

// The reference writer's layout of a file: header text and the tensors in data order.
struct FileLayout {
    std::string header; // JSON padded with spaces to a multiple of 8
    std::vector<const TensorToWrite*> order;
    std::vector<std::uint64_t> sizes;
    std::uint64_t dataBytes = 0;
};

FileLayout layoutFile(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      std::map<std::string, std::string> metadata, bool requireData) {
    if (!metadata.count("format"))
        metadata["format"] = "pt";
    // The reference writer (safetensors 0.4) orders tensors by dtype alignment (descending) then
    // name, and lays them out in that order; the header JSON has keys sorted with __metadata__ first.
    FileLayout layout;
    std::map<std::string, int> seen;
    for (const auto& t : tensors) {
        if (seen[t.name]++)
            throw Error(path + ": tensor '" + t.name + "' given twice");
        layout.order.push_back(&t);
    }
    std::stable_sort(layout.order.begin(), layout.order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
        const auto ra = writerRank(a->dtype), rb = writerRank(b->dtype);
        return ra != rb ? ra > rb : a->name < b->name;
    });
    std::string& header = layout.header;
    header = "{";
    header += "\"__metadata__\":" + Json(metadata).dump();
    std::uint64_t offset = 0;
    for (const auto* t : layout.order) {
        std::uint64_t n = 1;
        for (auto d : t->shape) {
            if (d < 0)
                throw Error(path + ": tensor '" + t->name + "' has a negative dimension");
            n *= static_cast<std::uint64_t>(d);
        }
        const std::uint64_t nbytes = n * dtypeSize(t->dtype);
        if (requireData && nbytes && !t->data)
            throw Error(path + ": tensor '" + t->name + "' has no data");
        Json entry;
        entry["dtype"] = dtypeName(t->dtype);
        entry["shape"] = t->shape;
        entry["data_offsets"] = {offset, offset + nbytes};
        header += "," + Json(t->name).dump() + ":" + entry.dump();
        offset += nbytes;
        layout.sizes.push_back(nbytes);
    }
    header += "}";
    while (header.size() % 8 != 0)
        header += ' ';
    layout.dataBytes = offset;
    return layout;
}

} // namespace

std::uint64_t safetensorsFileSize(const std::vector<TensorToWrite>& tensors, std::map<std::string, std::string> metadata) {
    const FileLayout layout = layoutFile("safetensors size", tensors, std::move(metadata), false);
    return 8 + layout.header.size() + layout.dataBytes;
}

void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      std::map<std::string, std::string> metadata) {
    const FileLayout layout = layoutFile(path, tensors, std::move(metadata), true);
    writeFileAtomicStreamed(path, [&](const ByteSink& sink) {
        std::uint8_t len[8];
        std::uint64_t h = layout.header.size();
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<std::uint8_t>((h >> (8 * i)) & 0xff);
        sink(len, 8);
        sink(layout.header.data(), layout.header.size());
        for (std::size_t i = 0; i < layout.order.size(); ++i)
            sink(layout.order[i]->data, layout.sizes[i]);
    });
}

} // namespace ps
