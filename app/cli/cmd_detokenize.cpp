// detokenize: token ids -> text with the model's own tokenizer.
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/tokenizer.h"

#include <iostream>
#include <string>
#include <vector>

namespace ps::cli {
namespace {

std::vector<std::int32_t> parseIds(const std::string& s) {
    std::vector<std::int32_t> ids;
    std::string cur;
    auto push = [&] {
        if (cur.empty())
            return;
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(cur, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != cur.size() || v < 0 || v > 0x7FFFFFFF)
            throw Error("--ids: '" + cur + "' is not a token id");
        ids.push_back(static_cast<std::int32_t>(v));
        cur.clear();
    };
    for (char c : s) {
        if (c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '[' || c == ']')
            push();
        else
            cur.push_back(c);
    }
    push();
    return ids;
}

int runDetokenize(const Args& args) {
    CliArgs a(args, {"model", "ids"}, {"skip-special-tokens"});
    const auto tok = Tokenizer::load(a.require("model"));
    std::cout << tok->decode(parseIds(a.require("ids")), a.flag("skip-special-tokens")) << "\n";
    return 0;
}

const CommandRegistration reg{
    {"detokenize", "detokenize --model DIR --ids \"1 2 3\" [--skip-special-tokens]",
     "Decode token ids (separated by spaces or commas) to text with the model's tokenizer, as Hugging Face's "
     "tokenizer.decode; prints the text and a newline.",
     &runDetokenize}};

} // namespace
} // namespace ps::cli
