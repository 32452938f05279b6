// libFuzzer target: the GGUF reader and writer (ps/gguf.h, export/gguf_writer.h). The first input
// byte picks the mode:
//   even: the rest is a GGUF file for GgufFile::fromBytes. An accepted file has every tensor
//         inside it and readable; when it only uses what the writer writes (string / uint32 /
//         float32 / bool keys, F32/F16/BF16 tensors, default alignment) writing it again and
//         reading that gives back the same keys, values and tensor bytes.
//   odd:  the rest drives a GgufWriter (keys, values, tensors, via FuzzedDataProvider); what the
//         writer accepts must read back exactly as written (write -> read round trip).
#include "export/gguf_writer.h"
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/gguf.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>

namespace {

using ps::GgufValue;
using ps::GgufValueType;

bool writable(const GgufValue& v) {
    return v.type == GgufValueType::String || v.type == GgufValueType::Uint32 || v.type == GgufValueType::Float32 ||
           v.type == GgufValueType::Bool;
}

void addValue(ps::gguf::GgufWriter& w, const std::string& key, const GgufValue& v) {
    switch (v.type) {
    case GgufValueType::String:
        return w.addString(key, v.s);
    case GgufValueType::Uint32:
        return w.addUint32(key, static_cast<std::uint32_t>(v.u));
    case GgufValueType::Float32:
        return w.addFloat32(key, static_cast<float>(v.f));
    default:
        return w.addBool(key, v.u != 0);
    }
}

bool sameValue(const GgufValue& a, const GgufValue& b) {
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case GgufValueType::String:
        return a.s == b.s;
    case GgufValueType::Float32: { // bitwise: NaN payloads survive a float round trip
        const float fa = static_cast<float>(a.f), fb = static_cast<float>(b.f);
        return std::memcmp(&fa, &fb, sizeof(float)) == 0;
    }
    default:
        return a.u == b.u;
    }
}

bool sameTensors(const ps::GgufFile& a, const ps::GgufFile& b) {
    if (a.tensors().size() != b.tensors().size())
        return false;
    for (std::size_t i = 0; i < a.tensors().size(); ++i) {
        const auto& ta = a.tensors()[i];
        const auto& tb = b.tensors()[i];
        if (ta.name != tb.name || ta.ne != tb.ne || ta.type != tb.type || ta.nbytes != tb.nbytes)
            return false;
        if (ta.nbytes && std::memcmp(a.data(ta), b.data(tb), ta.nbytes) != 0)
            return false;
    }
    return true;
}

void checkAccepted(const ps::GgufFile& file) {
    for (const auto& [key, value] : file.metadata()) {
        PS_FUZZ_CHECK(file.find(key) == &value);
        (void)value.toString();
    }
    for (const ps::GgufTensorInfo& t : file.tensors()) {
        PS_FUZZ_CHECK(t.dataOffset >= file.dataSectionOffset());
        PS_FUZZ_CHECK(t.dataOffset <= file.fileSize() && t.nbytes <= file.fileSize() - t.dataOffset);
        PS_FUZZ_CHECK(file.findTensor(t.name) != nullptr);
        if (t.nbytes) {
            const auto* bytes = static_cast<const unsigned char*>(file.data(t));
            volatile unsigned sink = bytes[0] + bytes[t.nbytes - 1];
            (void)sink;
        }
        if (t.type == ps::kGgmlTypeF32 || t.type == ps::kGgmlTypeF16 || t.type == ps::kGgmlTypeBF16)
            PS_FUZZ_CHECK(file.floatValues(t).size() == t.numel());
    }
}

// Rewrites an accepted file with the writer when it only uses what the writer can express.
void checkRewrite(const ps::GgufFile& file) {
    if (file.alignment() != ps::GgufFile::kDefaultAlignment)
        return;
    ps::gguf::GgufWriter w;
    for (const auto& [key, value] : file.metadata()) {
        if (!writable(value))
            return;
        addValue(w, key, value);
    }
    for (const ps::GgufTensorInfo& t : file.tensors()) {
        if (t.type != ps::kGgmlTypeF32 && t.type != ps::kGgmlTypeF16 && t.type != ps::kGgmlTypeBF16)
            return;
        const auto* p = static_cast<const std::uint8_t*>(file.data(t));
        try {
            w.addTensor({t.name, t.ne, t.type, std::vector<std::uint8_t>(p, p + t.nbytes)});
        } catch (const ps::Error&) {
            return; // e.g. a 5-dimensional tensor: valid GGUF, not something we write
        }
    }
    const auto again = ps::GgufFile::fromBytes(w.serialize(), "rewritten gguf");
    PS_FUZZ_CHECK(again->metadata().size() == file.metadata().size());
    for (std::size_t i = 0; i < file.metadata().size(); ++i) {
        PS_FUZZ_CHECK(again->metadata()[i].first == file.metadata()[i].first);
        PS_FUZZ_CHECK(sameValue(again->metadata()[i].second, file.metadata()[i].second));
    }
    PS_FUZZ_CHECK(sameTensors(*again, file));
}

void parseMode(const std::uint8_t* data, std::size_t size) {
    std::shared_ptr<ps::GgufFile> file;
    try {
        file = ps::GgufFile::fromBytes(std::string(reinterpret_cast<const char*>(data), size), "input.gguf");
    } catch (const ps::Error&) {
        return;
    }
    checkAccepted(*file);
    checkRewrite(*file);
}

void writeMode(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    ps::gguf::GgufWriter w;
    std::vector<std::pair<std::string, GgufValue>> written;
    std::vector<ps::gguf::TensorToWrite> tensors;
    try {
        const int entries = in.ConsumeIntegralInRange(0, 8);
        for (int i = 0; i < entries; ++i) {
            GgufValue v;
            const std::string key = in.ConsumeRandomLengthString(40);
            switch (in.ConsumeIntegralInRange(0, 3)) {
            case 0:
                v.type = GgufValueType::String, v.s = in.ConsumeRandomLengthString(64);
                break;
            case 1:
                v.type = GgufValueType::Uint32, v.u = in.ConsumeIntegral<std::uint32_t>();
                break;
            case 2:
                v.type = GgufValueType::Float32, v.f = in.ConsumeFloatingPoint<float>();
                break;
            default:
                v.type = GgufValueType::Bool, v.u = in.ConsumeBool();
            }
            addValue(w, key, v);
            written.emplace_back(key, v);
        }
        const int count = in.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < count; ++i) {
            ps::gguf::TensorToWrite t;
            t.name = in.ConsumeRandomLengthString(70);
            const std::uint32_t types[] = {ps::kGgmlTypeF32, ps::kGgmlTypeF16, ps::kGgmlTypeBF16};
            t.type = types[in.ConsumeIntegralInRange(0, 2)];
            const int dims = in.ConsumeIntegralInRange(1, 4);
            std::uint64_t numel = 1;
            for (int d = 0; d < dims; ++d) { // mostly small; sometimes anything (overflowing products)
                t.ne.push_back(in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, 6)
                                                : in.ConsumeIntegral<std::uint64_t>());
                numel *= t.ne.back(); // wraps: the writer must refuse such shapes, not write them
            }
            t.bytes = in.ConsumeBytes<std::uint8_t>(numel * (t.type == ps::kGgmlTypeF32 ? 4 : 2));
            tensors.push_back(t);
            w.addTensor(std::move(t));
        }
    } catch (const ps::Error&) {
        return; // the writer refused (duplicate key, bad name, short data): nothing to read back
    }
    const auto file = ps::GgufFile::fromBytes(w.serialize(), "written gguf"); // must not throw
    checkAccepted(*file);
    PS_FUZZ_CHECK(file->metadata().size() == written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        PS_FUZZ_CHECK(file->metadata()[i].first == written[i].first);
        PS_FUZZ_CHECK(sameValue(file->metadata()[i].second, written[i].second));
    }
    PS_FUZZ_CHECK(file->tensors().size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const ps::GgufTensorInfo& t = file->tensors()[i];
        PS_FUZZ_CHECK(t.name == tensors[i].name && t.ne == tensors[i].ne && t.type == tensors[i].type);
        PS_FUZZ_CHECK(t.nbytes == tensors[i].bytes.size());
        PS_FUZZ_CHECK(t.nbytes == 0 || std::memcmp(file->data(t), tensors[i].bytes.data(), t.nbytes) == 0);
        PS_FUZZ_CHECK(t.dataOffset % ps::GgufFile::kDefaultAlignment == 0);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        parseMode(data + 1, size - 1);
    else
        writeMode(data + 1, size - 1);
    return 0;
}
