// libFuzzer target: the safetensors reader (header parsing and validation, ps/safetensors.h).
// The input is a whole .safetensors file. An accepted file must satisfy what the reader promises
// (tensors inside the file, in offset order, non-overlapping, numel x dtype size == bytes), every
// tensor byte must be readable, and writing it back with writeSafetensors and reading that must
// give the same tensors and metadata.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/safetensors.h"

#include <cstring>
#include <vector>

namespace {

void checkAccepted(const ps::SafetensorsFile& file) {
    std::uint64_t previousEnd = 0;
    unsigned checksum = 0;
    for (const ps::TensorInfo& t : file.tensors()) {
        PS_FUZZ_CHECK(t.dataOffset >= previousEnd);
        PS_FUZZ_CHECK(t.dataOffset <= file.fileSize() && t.nbytes <= file.fileSize() - t.dataOffset);
        PS_FUZZ_CHECK(static_cast<std::uint64_t>(t.numel()) * ps::dtypeSize(t.dtype) == t.nbytes);
        PS_FUZZ_CHECK(file.find(t.name) == &t);
        previousEnd = t.dataOffset + t.nbytes;
        if (t.nbytes) { // touch the first and last byte: ASan checks the mapping bounds
            const auto* bytes = static_cast<const unsigned char*>(file.data(t));
            checksum += bytes[0] + bytes[t.nbytes - 1];
        }
    }
    (void)checksum;
}

void checkRoundTrip(const ps::SafetensorsFile& file) {
    std::vector<ps::TensorToWrite> tensors;
    for (const ps::TensorInfo& t : file.tensors())
        tensors.push_back({t.name, t.dtype, t.shape, file.data(t)});
    const std::string path = (ps::fuzz::scratchDir() / "roundtrip.safetensors").string();
    ps::writeSafetensors(path, tensors, file.metadata());
    PS_FUZZ_CHECK(ps::safetensorsFileSize(tensors, file.metadata()) == std::filesystem::file_size(path));
    const auto again = ps::SafetensorsFile::open(path);
    PS_FUZZ_CHECK(again->tensors().size() == file.tensors().size());
    for (std::size_t i = 0; i < file.tensors().size(); ++i) {
        const ps::TensorInfo& a = file.tensors()[i];
        const ps::TensorInfo* b = again->find(a.name);
        PS_FUZZ_CHECK(b != nullptr);
        PS_FUZZ_CHECK(b->dtype == a.dtype && b->shape == a.shape && b->nbytes == a.nbytes);
        PS_FUZZ_CHECK(a.nbytes == 0 || std::memcmp(file.data(a), again->data(*b), a.nbytes) == 0);
    }
    // The writer adds "format": "pt" when the file had no "format"; everything else is kept.
    auto expected = file.metadata();
    expected.emplace("format", "pt");
    PS_FUZZ_CHECK(again->metadata() == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = ps::fuzz::writeScratchFile("input.safetensors", data, size);
    std::shared_ptr<ps::SafetensorsFile> file;
    try {
        file = ps::SafetensorsFile::open(path);
    } catch (const ps::Error&) {
        return 0; // rejected with a message: the expected outcome for most inputs
    }
    checkAccepted(*file);
    checkRoundTrip(*file); // a writer error on an accepted file escapes: a finding
    return 0;
}
