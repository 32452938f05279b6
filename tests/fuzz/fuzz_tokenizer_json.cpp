// libFuzzer target: loading a tokenizer.json (every model / normalizer / pre-tokenizer /
// post-processor / decoder the loader knows) and encoding with what was loaded. The input is the
// tokenizer.json text; an accepted tokenizer encodes a fixed set of texts and the first bytes of
// the input itself with ids in range and offsets inside the text.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/tokenizer.h"
#include "tokenizer_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = ps::fuzz::writeScratchFile("tokenizer.json", data, size);
    std::shared_ptr<ps::Tokenizer> tok;
    try {
        tok = ps::Tokenizer::loadTokenizerJson(path);
    } catch (const ps::Error&) {
        return 0;
    }
    static const char* const kTexts[] = {"", "Hello world", "  two  spaces\n\ttab", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80",
                                         "<|endoftext|><s></s>[CLS]", "\xff\xfe bad utf-8 \xc3"};
    try {
        for (const char* text : kTexts)
            ps::fuzz::checkEncoding(*tok, text);
        const std::string_view input(reinterpret_cast<const char*>(data), size < 256 ? size : 256);
        ps::fuzz::checkEncoding(*tok, input);
    } catch (const ps::Error&) {
        // Encoding may refuse what the loader accepted only with a clear error (e.g. an unknown
        // byte and no unk token).
    }
    return 0;
}
