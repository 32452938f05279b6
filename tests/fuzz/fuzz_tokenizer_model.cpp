// libFuzzer target: a SentencePiece tokenizer.model (protobuf, read by tokenize/spm_model.cpp
// without libsentencepiece) and encoding with it. The input is the tokenizer.model file.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/tokenizer.h"
#include "tokenizer_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ps::fuzz::writeScratchFile("spm/tokenizer.model", data, size);
    std::shared_ptr<ps::Tokenizer> tok;
    try {
        tok = ps::Tokenizer::load((ps::fuzz::scratchDir() / "spm").string());
    } catch (const ps::Error&) {
        return 0;
    }
    static const char* const kTexts[] = {"", "Hello world", " lead and trail ", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80",
                                         "<s></s><unk>", "\xff\xfe bad utf-8 \xc3"};
    try {
        for (const char* text : kTexts)
            ps::fuzz::checkEncoding(*tok, text);
    } catch (const ps::Error&) {
    }
    return 0;
}
