// generate: continue a prompt (text, chat or token ids) with a model and optional adapter,
// streaming the text to stdout as it is generated; Ctrl+C stops after the current token.
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/generate.h"
#include "ps/system_info.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>

namespace ps::cli {
namespace {

std::atomic<bool> gStop{false};

extern "C" void onInterrupt(int) {
    gStop.store(true);
}

// Routes SIGINT / SIGTERM to gStop while alive.
class InterruptStops final {
public:
    InterruptStops() {
        gStop.store(false);
        std::signal(SIGINT, onInterrupt);
        std::signal(SIGTERM, onInterrupt);
    }
    ~InterruptStops() {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
};

// "1,2,3" (commas and/or spaces) -> ids.
std::vector<std::int32_t> parseIds(const std::string& text) {
    std::vector<std::int32_t> ids;
    std::size_t p = 0;
    while (p < text.size()) {
        const auto b = text.find_first_not_of(", \t", p);
        if (b == std::string::npos)
            break;
        const auto e = text.find_first_of(", \t", b);
        const std::string tok = text.substr(b, e == std::string::npos ? std::string::npos : e - b);
        char* stop = nullptr;
        errno = 0;
        const long long v = std::strtoll(tok.c_str(), &stop, 10);
        if (*stop != '\0' || errno == ERANGE || v < 0 || v > 0x7fffffff)
            throw Error("--ids: '" + tok + "' is not a token id (expected \"1,2,3\")");
        ids.push_back(static_cast<std::int32_t>(v));
        p = e == std::string::npos ? text.size() : e;
    }
    if (ids.empty())
        throw Error("--ids: no token ids given (expected \"1,2,3\")");
    return ids;
}

int runGenerate(const Args& args) {
    CliArgs a(args,
              {"model", "adapter", "prompt", "ids", "system", "template", "max-new-tokens", "temperature", "top-p",
               "top-k", "min-p", "repetition-penalty", "seed", "stop", "dtype", "device", "threads"},
              {"chat", "ids-out", "merge", "no-cache", "ignore-eos"}, {"stop"});
    if (!a.positionals().empty())
        throw Error("generate takes no positional arguments (got '" + a.positionals()[0] + "')");
    if (a.has("prompt") == a.has("ids"))
        throw Error("give exactly one of --prompt TEXT and --ids \"1,2,3\"");
    if (a.flag("chat") && !a.has("prompt"))
        throw Error("--chat needs --prompt (the user message)");
    std::optional<ChatFamily> family;
    if (const auto t = a.value("template")) {
        family = chatFamilyFromName(*t);
        if (!family)
            throw Error("--template: unknown chat template family '" + *t + "'");
    }

    GeneratorConfig config;
    config.modelDir = a.require("model");
    config.adapterDir = a.value("adapter").value_or("");
    config.mergeAdapter = a.flag("merge");
    config.dtype = a.value("dtype").value_or("fp32");
    config.device = a.value("device").value_or("cpu");
    configureThreads(static_cast<int>(a.intValue("threads", 0)), config.dtype != "fp32");

    // generation_config.json first, then the options given. Sampling options without
    // --temperature on a greedy default mean "sample" (at temperature 1).
    GenerationOptions options = generationDefaults(config.modelDir);
    options.maxNewTokens = a.intValue("max-new-tokens", options.maxNewTokens);
    auto& s = options.sampling;
    s.topK = a.intValue("top-k", s.topK);
    s.topP = a.doubleValue("top-p", s.topP);
    s.minP = a.doubleValue("min-p", s.minP);
    s.repetitionPenalty = a.doubleValue("repetition-penalty", s.repetitionPenalty);
    s.seed = static_cast<std::uint64_t>(a.intValue("seed", 0));
    const bool samplingAsked = a.has("top-k") || a.has("top-p") || a.has("min-p") || a.has("seed");
    if (a.has("temperature"))
        s.temperature = a.doubleValue("temperature", 0.0);
    else if (samplingAsked && s.greedy())
        s.temperature = 1.0;
    options.stopStrings = a.values("stop");
    options.useKvCache = !a.flag("no-cache");
    options.stopOnEos = !a.flag("ignore-eos");
    const bool idsOut = a.flag("ids-out");

    Generator generator(config);
    const bool text = generator.tokenizer() != nullptr && !idsOut;
    bool firstId = true;
    const TokenCallback stream = [&](std::int32_t id, const std::string& piece) {
        if (idsOut)
            return;
        if (text)
            std::cout << piece << std::flush;
        else
            std::cout << (firstId ? "" : " ") << id << std::flush;
        firstId = false;
    };

    InterruptStops interrupts;
    GenerationResult result;
    if (a.has("ids")) {
        result = generator.generate(parseIds(*a.value("ids")), options, stream, &gStop);
    } else if (a.flag("chat")) {
        std::vector<ChatMessage> messages;
        if (const auto system = a.value("system"))
            messages.push_back({"system", *system});
        messages.push_back({"user", *a.value("prompt")});
        result = generator.generateChat(messages, options, stream, &gStop, family);
    } else {
        result = generator.generateText(*a.value("prompt"), options, stream, &gStop);
    }

    if (idsOut) {
        for (std::size_t i = 0; i < result.ids.size(); ++i)
            std::cout << (i ? " " : "") << result.ids[i];
    }
    std::cout << std::endl;
    for (const auto& w : result.warnings)
        std::cerr << "warning: " << w << "\n";
    const auto decoded = result.ids.empty() ? 0 : result.ids.size() - 1;
    std::cerr << "[" << result.ids.size() << " tokens, stop: " << generationStopName(result.stop) << ", prompt "
              << result.promptTokens << " tokens in " << result.prefillSeconds << " s";
    if (decoded > 0 && result.decodeSeconds > 0)
        std::cerr << ", " << static_cast<double>(decoded) / result.decodeSeconds << " tokens/s";
    std::cerr << "]" << std::endl;
    return result.stop == GenerationStop::Cancelled ? 3 : 0;
}

const CommandRegistration reg{
    {"generate",
     "generate --model DIR [--adapter DIR [--merge]] (--prompt TEXT | --ids \"1,2,3\") [--chat [--system TEXT] "
     "[--template FAMILY]] [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--min-p P] "
     "[--repetition-penalty R] [--seed S] [--stop STR]... [--ignore-eos] [--no-cache] [--ids-out] "
     "[--dtype fp32|bf16] [--device cpu|cuda] [--threads N]",
     "Generate a continuation (or a chat reply) and stream it to stdout; --temperature 0 is greedy, --ids-out "
     "prints only the new token ids.",
     &runGenerate}};

} // namespace
} // namespace ps::cli
