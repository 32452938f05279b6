#pragma once
// ps::Tokenizer — reads the tokenizer files a Hugging Face model repo ships and produces
// exactly the token ids the `tokenizers` library (and transformers' slow SentencePiece path)
// produces. Torch-free, Qt-free.
//
// load(dir) reads DIR/tokenizer.json when present, else DIR/tokenizer.model (SentencePiece BPE,
// read without libsentencepiece; Unigram models need a tokenizer.json),
// plus DIR/tokenizer_config.json (bos/eos/pad/unk, add_bos_token, add_eos_token,
// chat_template, model_max_length) when present. Errors are ps::Error naming the file and
// what was expected.
//
// A loaded Tokenizer is immutable; every const method may be called from any number of
// threads at once.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ps {

// One token of an encoding with the byte range of the input text it came from (as the
// `tokenizers` library's offsets, but in bytes). Tokens added by the post-processor (BOS/EOS)
// have begin == end == 0. For invalid UTF-8 input the offsets index the U+FFFD-replaced text.
struct TokenSpan {
    std::int32_t id = 0;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

class Tokenizer final {
public:
    // DIR is a model folder or a folder holding only tokenizer files.
    static std::shared_ptr<Tokenizer> load(const std::string& dir);
    // Loads an explicit tokenizer.json (tokenizer_config.json next to it is read too).
    static std::shared_ptr<Tokenizer> loadTokenizerJson(const std::string& path);

    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // Text -> ids. addSpecialTokens applies the post-processor (tokenizer.json) or the
    // add_bos_token/add_eos_token flags (SentencePiece path), as `tokenizer(text)` does in
    // transformers. Invalid UTF-8 is replaced by U+FFFD per maximal invalid subpart (the same
    // as Rust's String::from_utf8_lossy / Python's errors="replace"); it never throws for text.
    std::vector<std::int32_t> encode(std::string_view text, bool addSpecialTokens = false) const;
    // Same ids as encode(), with each token's source byte range (used for label masks).
    std::vector<TokenSpan> encodeWithOffsets(std::string_view text, bool addSpecialTokens = false) const;
    // threads <= 0: all hardware threads. Output order = input order.
    std::vector<std::vector<std::int32_t>> encodeBatch(const std::vector<std::string>& texts,
                                                       bool addSpecialTokens = false, int threads = 0) const;

    // Ids -> text, as `tokenizer.decode(ids, skip_special_tokens=...)`. Unknown ids are
    // skipped. Byte sequences that do not form valid UTF-8 become U+FFFD.
    std::string decode(const std::vector<std::int32_t>& ids, bool skipSpecialTokens = false) const;

    std::optional<std::int32_t> tokenToId(std::string_view token) const;
    std::optional<std::string> idToToken(std::int32_t id) const;
    // Vocabulary size including added tokens (= max id + 1).
    std::int32_t vocabSize() const;
    bool isSpecial(std::int32_t id) const;

    std::optional<std::int32_t> bosId() const;
    std::optional<std::int32_t> eosId() const;
    std::optional<std::int32_t> padId() const;
    std::optional<std::int32_t> unkId() const;
    std::string bosToken() const; // "" when none
    std::string eosToken() const;
    std::string padToken() const;
    std::string unkToken() const;
    bool addBosToken() const; // what encode(.., true) prepends/appends (from config or post-processor)
    bool addEosToken() const;
    std::int64_t modelMaxLength() const; // 0 when not given or absurd (HF's 1e30 sentinel)

    // The raw Jinja chat_template from tokenizer_config.json ("default" entry when it is a
    // list of {name, template}); "" when none.
    const std::string& chatTemplate() const;
    // "tokenizer.json" or "sentencepiece".
    const std::string& backend() const;
    // Hex SHA-256 over the tokenizer files' bytes: equal hash, equal ids. For dataset caches.
    const std::string& contentHash() const;
    const std::string& directory() const;

    struct Impl;

private:
    explicit Tokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace ps
