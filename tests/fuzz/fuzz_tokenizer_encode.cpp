// libFuzzer target: encoding and decoding arbitrary text with the fixture tokenizers (byte-level
// BPE: GPT-2, Llama 3, Qwen2; SentencePiece-style: Llama 2 tokenizer.json and tokenizer.model,
// Metaspace). The input is the text. Besides ids in range and offsets inside the text, the
// byte-level BPE tokenizers have no normalizer, so decode(encode(text)) == text for valid UTF-8.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/tokenizer.h"
#include "tokenizer_checks.h"

#include <vector>

namespace {

struct Loaded {
    std::shared_ptr<ps::Tokenizer> tokenizer;
    bool lossless = false; // decode(encode(x)) == x for valid UTF-8 x
};

const std::vector<Loaded>& tokenizers() {
    static const std::vector<Loaded> all = [] {
        const std::string root = PS_FIXTURES "/tokenizers/";
        std::vector<Loaded> out;
        out.push_back({ps::Tokenizer::load(root + "gpt2"), true});
        out.push_back({ps::Tokenizer::load(root + "llama3-bpe"), true});
        out.push_back({ps::Tokenizer::load(root + "qwen2-bpe"), false}); // NFC normalizer
        out.push_back({ps::Tokenizer::load(root + "llama2-spm"), false});
        // tokenizer.model alone (the folder has a tokenizer.json too, which load() prefers).
        const auto spm = ps::fuzz::scratchDir() / "spm";
        std::filesystem::create_directories(spm);
        std::filesystem::copy_file(root + "llama2-spm/tokenizer.model", spm / "tokenizer.model",
                                   std::filesystem::copy_options::overwrite_existing);
        out.push_back({ps::Tokenizer::load(spm.string()), false});
        out.push_back({ps::Tokenizer::load(root + "metaspace-new"), false});
        return out;
    }();
    return all;
}

} // namespace

// Loading the six tokenizers (GPT-2's 1.3 MB tokenizer.json among them) takes seconds under ASan:
// done before fuzzing starts, so that it does not count against the first input's -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tokenizers();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const bool valid = ps::fuzz::isValidUtf8(text);
    for (const Loaded& t : tokenizers()) {
        const std::vector<std::int32_t> ids = ps::fuzz::checkEncoding(*t.tokenizer, text);
        if (t.lossless && valid)
            PS_FUZZ_CHECK(t.tokenizer->decode(ids) == text);
    }
    return 0;
}
