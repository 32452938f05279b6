// ps::Tokenizer: picks the backend (tokenizer.json or tokenizer.model), applies
// tokenizer_config.json, repairs invalid UTF-8 and runs batches on threads.
#include "ps/tokenizer.h"

#include "ps/error.h"
#include "tokenize/hf_tokenizer.h"
#include "tokenize/sha256.h"
#include "tokenize/spm_tokenizer.h"
#include "tokenize/tokenizer_config.h"
#include "tokenize/utf8.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

namespace ps {

namespace fs = std::filesystem;

struct Tokenizer::Impl {
    std::unique_ptr<tok::TokenizerBackend> backend;
    tok::TokenizerConfig config;
    tok::SpecialWrap wrap;
    std::optional<std::int32_t> bos, eos, pad, unk;
    std::string bosToken, eosToken, padToken, unkToken;
    std::string backendName, hash, dir;
};

namespace {

// transformers' LlamaTokenizerFast / GemmaTokenizerFast rebuild the post-processor from
// add_bos_token / add_eos_token instead of using the one in tokenizer.json.
bool rebuildsPostProcessor(const std::string& cls) {
    static const char* const kClasses[] = {"LlamaTokenizer",         "LlamaTokenizerFast", "CodeLlamaTokenizer",
                                           "CodeLlamaTokenizerFast", "GemmaTokenizer",     "GemmaTokenizerFast"};
    return std::any_of(std::begin(kClasses), std::end(kClasses), [&](const char* c) { return cls == c; });
}

void resolveSpecials(Tokenizer::Impl& im) {
    auto resolve = [&](const std::optional<std::string>& s, std::optional<std::int32_t>& id, std::string& text) {
        if (!s || s->empty())
            return;
        text = *s;
        id = im.backend->tokenToId(*s);
    };
    resolve(im.config.bos, im.bos, im.bosToken);
    resolve(im.config.eos, im.eos, im.eosToken);
    resolve(im.config.pad, im.pad, im.padToken);
    resolve(im.config.unk, im.unk, im.unkToken);
    if (auto* spm = dynamic_cast<tok::SpmTokenizer*>(im.backend.get()); spm && !im.config.present) {
        // No tokenizer_config.json: SentencePiece's own defaults.
        auto fill = [&](const char* piece, std::optional<std::int32_t>& id, std::string& text) {
            if (id)
                return;
            if (auto found = spm->pieceId(piece)) {
                id = found;
                text = piece;
            }
        };
        fill("<s>", im.bos, im.bosToken);
        fill("</s>", im.eos, im.eosToken);
        fill("<unk>", im.unk, im.unkToken);
    }
}

void hashFile(tok::Sha256& h, const fs::path& p) {
    if (!fs::exists(p))
        return;
    h.update(p.filename().string());
    h.update(std::string_view("\0", 1));
    h.update(readFile(p.string()));
    h.update(std::string_view("\0", 1));
}

std::unique_ptr<Tokenizer::Impl> loadImpl(const fs::path& dir, const fs::path& jsonPath) {
    auto im = std::make_unique<Tokenizer::Impl>();
    im->dir = dir.string();
    im->config = tok::readTokenizerConfig(im->dir);
    tok::Sha256 h;
    if (!jsonPath.empty()) {
        const std::string what = jsonPath.string();
        const Json j = parseJsonFile(what);
        try {
            im->backend = std::make_unique<tok::HfTokenizer>(j, what);
        } catch (const nlohmann::json::exception& e) {
            throw Error(what + ": unexpected structure: " + e.what());
        }
        im->backendName = "tokenizer.json";
        im->wrap = im->backend->specialWrap();
        hashFile(h, jsonPath);
    } else {
        const fs::path model = dir / "tokenizer.model";
        im->backend = std::make_unique<tok::SpmTokenizer>(model.string(), im->config);
        im->backendName = "sentencepiece";
        hashFile(h, model);
    }
    hashFile(h, dir / "tokenizer_config.json");
    if (im->config.chatTemplate.size() && !fs::exists(dir / "tokenizer_config.json"))
        h.update(im->config.chatTemplate);
    im->hash = h.hexDigest();
    resolveSpecials(*im);

    const bool spm = im->backendName == "sentencepiece";
    if (spm || rebuildsPostProcessor(im->config.tokenizerClass)) {
        const bool addBos = im->config.addBos.value_or(true);
        const bool addEos = im->config.addEos.value_or(false);
        if (spm || im->config.addBos || im->config.addEos) {
            im->wrap = {};
            if (addBos && im->bos) {
                im->wrap.prefix.push_back(*im->bos);
                im->wrap.prefixTokens.push_back(im->bosToken);
            }
            if (addEos && im->eos) {
                im->wrap.suffix.push_back(*im->eos);
                im->wrap.suffixTokens.push_back(im->eosToken);
            }
        }
    }
    return im;
}

} // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::shared_ptr<Tokenizer> Tokenizer::load(const std::string& dirOrFile) {
    const fs::path p(dirOrFile);
    if (fs::is_regular_file(p) && p.extension() == ".json")
        return loadTokenizerJson(dirOrFile);
    if (!fs::is_directory(p))
        throw Error(dirOrFile + ": no such tokenizer folder");
    if (fs::exists(p / "tokenizer.json"))
        return loadTokenizerJson((p / "tokenizer.json").string());
    if (fs::exists(p / "tokenizer.model"))
        return std::shared_ptr<Tokenizer>(new Tokenizer(loadImpl(p, fs::path())));
    throw Error(dirOrFile + ": no tokenizer.json or tokenizer.model in this folder");
}

std::shared_ptr<Tokenizer> Tokenizer::loadTokenizerJson(const std::string& path) {
    const fs::path p(path);
    if (!fs::is_regular_file(p))
        throw Error(path + ": no such file");
    return std::shared_ptr<Tokenizer>(
        new Tokenizer(loadImpl(p.parent_path().empty() ? fs::path(".") : p.parent_path(), p)));
}

std::vector<TokenSpan> Tokenizer::encodeWithOffsets(std::string_view text, bool addSpecialTokens) const {
    std::string repaired;
    if (!tok::isValidUtf8(text)) {
        repaired = tok::repairUtf8(text);
        text = repaired;
    }
    std::vector<std::int32_t> ids;
    std::vector<tok::Span> spans;
    impl_->backend->encodeText(text, ids, &spans);
    std::vector<TokenSpan> out;
    out.reserve(ids.size() + 2);
    if (addSpecialTokens)
        for (std::int32_t id : impl_->wrap.prefix)
            out.push_back({id, 0, 0});
    for (std::size_t k = 0; k < ids.size(); ++k)
        out.push_back({ids[k], spans[k].begin, spans[k].end});
    if (addSpecialTokens)
        for (std::int32_t id : impl_->wrap.suffix)
            out.push_back({id, 0, 0});
    return out;
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool addSpecialTokens) const {
    std::string repaired;
    if (!tok::isValidUtf8(text)) {
        repaired = tok::repairUtf8(text);
        text = repaired;
    }
    std::vector<std::int32_t> ids;
    if (addSpecialTokens)
        ids = impl_->wrap.prefix;
    impl_->backend->encodeText(text, ids, nullptr);
    if (addSpecialTokens)
        ids.insert(ids.end(), impl_->wrap.suffix.begin(), impl_->wrap.suffix.end());
    return ids;
}

std::vector<std::vector<std::int32_t>> Tokenizer::encodeBatch(const std::vector<std::string>& texts,
                                                              bool addSpecialTokens, int threads) const {
    std::vector<std::vector<std::int32_t>> out(texts.size());
    unsigned n = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
    n = static_cast<unsigned>(std::min<std::size_t>(n, texts.size()));
    if (n <= 1) {
        for (std::size_t k = 0; k < texts.size(); ++k)
            out[k] = encode(texts[k], addSpecialTokens);
        return out;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto worker = [&] {
        try {
            for (std::size_t k = next++; k < texts.size(); k = next++)
                out[k] = encode(texts[k], addSpecialTokens);
        } catch (...) {
            // Handed to the caller below: the first failure is rethrown after all threads joined.
            std::lock_guard<std::mutex> lock(errorMutex);
            if (!error)
                error = std::current_exception();
            next = texts.size();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(n);
    for (unsigned t = 0; t < n; ++t)
        pool.emplace_back(worker);
    for (auto& t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
    return out;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids, bool skipSpecialTokens) const {
    return impl_->backend->decode(ids, skipSpecialTokens);
}

std::optional<std::int32_t> Tokenizer::tokenToId(std::string_view token) const {
    return impl_->backend->tokenToId(token);
}
std::optional<std::string> Tokenizer::idToToken(std::int32_t id) const {
    return impl_->backend->idToToken(id);
}
std::int32_t Tokenizer::vocabSize() const {
    return impl_->backend->vocabSize();
}
bool Tokenizer::isSpecial(std::int32_t id) const {
    return impl_->backend->isSpecial(id);
}
std::optional<std::int32_t> Tokenizer::bosId() const {
    return impl_->bos;
}
std::optional<std::int32_t> Tokenizer::eosId() const {
    return impl_->eos;
}
std::optional<std::int32_t> Tokenizer::padId() const {
    return impl_->pad;
}
std::optional<std::int32_t> Tokenizer::unkId() const {
    return impl_->unk;
}
std::string Tokenizer::bosToken() const {
    return impl_->bosToken;
}
std::string Tokenizer::eosToken() const {
    return impl_->eosToken;
}
std::string Tokenizer::padToken() const {
    return impl_->padToken;
}
std::string Tokenizer::unkToken() const {
    return impl_->unkToken;
}

bool Tokenizer::addBosToken() const {
    return impl_->bos &&
           std::find(impl_->wrap.prefix.begin(), impl_->wrap.prefix.end(), *impl_->bos) != impl_->wrap.prefix.end();
}

bool Tokenizer::addEosToken() const {
    return impl_->eos &&
           std::find(impl_->wrap.suffix.begin(), impl_->wrap.suffix.end(), *impl_->eos) != impl_->wrap.suffix.end();
}

std::int64_t Tokenizer::modelMaxLength() const {
    return impl_->config.modelMaxLength;
}
const std::string& Tokenizer::chatTemplate() const {
    return impl_->config.chatTemplate;
}
const std::string& Tokenizer::backend() const {
    return impl_->backendName;
}
const std::string& Tokenizer::contentHash() const {
    return impl_->hash;
}
const std::string& Tokenizer::directory() const {
    return impl_->dir;
}

} // namespace ps
