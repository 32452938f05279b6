// Small hand-built tokenizer.json files whose ids are derived by hand from the algorithm of
// the `tokenizers` library: Split behaviours, Metaspace + byte_fallback, added tokens with
// lstrip / rstrip / single_word / normalized, normalizers, Digits / Punctuation / Whitespace,
// ignore_merges, post-processors; plus invalid UTF-8 and clear errors for broken files.
#include "tokenizer_json_builder.h"

#include "ps/error.h"
#include "ps/tokenizer.h"
#include "tokenize/utf8.h" // bytePieceValue (internal)

#include <QtTest>

#include <cstring>
#include <random>

using namespace tokentest;

namespace {

struct Row {
    std::string name;
    Spec spec;
    std::string text;
    std::vector<std::int32_t> ids;
    bool addSpecial = false;
};

const std::string kSp = "\xE2\x96\x81"; // ▁

json split(const std::string& behavior, bool invert, const json& pattern = json{{"String", "-"}}) {
    return json{{"type", "Split"}, {"pattern", pattern}, {"behavior", behavior}, {"invert", invert}};
}

// ASCII + "a-" 95, "-b" 96, "--" 97, "ab" 98; merges by rank: a -, - b, - -, a b.
Spec splitSpec(const json& pre) {
    Spec s;
    s.vocab["a-"] = 95;
    s.vocab["-b"] = 96;
    s.vocab["--"] = 97;
    s.vocab["ab"] = 98;
    s.merges = json::array({"a -", "- b", "- -", "a b"});
    s.preTokenizer = pre;
    return s;
}

// SentencePiece-like: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, ▁ 259, a 260, b 261,
// ▁a 262, ▁ab 263, c 264; merges as [left, right] pairs: (▁, a), (▁a, b).
Spec metaspaceSpec(const std::string& scheme, bool byteFallback = true, bool fuseUnk = true) {
    Spec s;
    s.vocab = json::object({{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}});
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        s.vocab[buf] = 3 + b;
    }
    s.vocab[kSp] = 259;
    s.vocab["a"] = 260;
    s.vocab["b"] = 261;
    s.vocab[kSp + "a"] = 262;
    s.vocab[kSp + "ab"] = 263;
    s.vocab["c"] = 264;
    s.merges = json::array({json::array({kSp, "a"}), json::array({kSp + "a", "b"})});
    s.modelExtra = {{"unk_token", "<unk>"}, {"byte_fallback", byteFallback}, {"fuse_unk", fuseUnk}};
    s.preTokenizer = {{"type", "Metaspace"}, {"replacement", kSp}, {"prepend_scheme", scheme}, {"split", true}};
    s.addedTokens =
        json::array({addedToken(0, "<unk>", true), addedToken(1, "<s>", true), addedToken(2, "</s>", true)});
    s.postProcessor = {{"type", "TemplateProcessing"},
                       {"single", json::array({json{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                               json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
                       {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
    s.decoder = {{"type", "Sequence"},
                 {"decoders", json::array({json{{"type", "ByteFallback"}}, json{{"type", "Metaspace"},
                                                                                {"replacement", kSp},
                                                                                {"prepend_scheme", scheme},
                                                                                {"split", true}}})}};
    return s;
}

// ASCII, no pre-tokenizer, no merges; added tokens with the matching rules.
Spec addedSpec() {
    Spec s;
    s.addedTokens =
        json::array({addedToken(200, "<x>", true, {{"lstrip", true}}), addedToken(201, "<y>", true, {{"rstrip", true}}),
                     addedToken(202, "<z>", true, {{"lstrip", true}, {"rstrip", true}}),
                     addedToken(203, "ab", false, {{"single_word", true}}), addedToken(205, "<<", false),
                     addedToken(206, "<<<", false)});
    s.decoder = {{"type", "Fuse"}};
    return s;
}

Spec normalizerSpec(const json& normalizer) {
    Spec s;
    s.vocab["\xC3\xA9"] = 100; // é
    s.normalizer = normalizer;
    return s;
}

std::vector<Row> makeRows() {
    std::vector<Row> rows;
    auto add = [&](const std::string& name, const Spec& s, const std::string& text, std::vector<std::int32_t> ids,
                   bool addSpecial = false) {
        rows.push_back({name, s, text, std::move(ids), addSpecial});
    };

    // --- Split behaviours on "a-b" (and "a--b")
    add("no pre-tokenizer merges across '-'", splitSpec(nullptr), "a-b", {95, 66});
    add("Split Isolated", splitSpec(split("Isolated", false)), "a-b", {65, 13, 66});
    add("Split Removed", splitSpec(split("Removed", false)), "a-b", {65, 66});
    add("Split MergedWithPrevious", splitSpec(split("MergedWithPrevious", false)), "a-b", {95, 66});
    add("Split MergedWithNext", splitSpec(split("MergedWithNext", false)), "a-b", {65, 96});
    add("Split Contiguous joins adjacent matches", splitSpec(split("Contiguous", false)), "a--b", {65, 97, 66});
    add("Split Isolated keeps each match", splitSpec(split("Isolated", false)), "a--b", {65, 13, 13, 66});
    add("Split Removed inverted keeps only the matches", splitSpec(split("Removed", true)), "a-b", {13});
    add("Split MergedWithPrevious inverted", splitSpec(split("MergedWithPrevious", true)), "a-b", {65, 96});
    add("Split MergedWithNext inverted", splitSpec(split("MergedWithNext", true)), "a-b", {95, 66});
    add("Split regex Isolated", splitSpec(split("Isolated", false, {{"Regex", "[0-9]+"}})), "ab12", {98, 17, 18});
    add("Split regex Removed", splitSpec(split("Removed", false, {{"Regex", "[0-9]+"}})), "ab12", {98});
    add("Split regex with lookahead", splitSpec(split("Isolated", false, {{"Regex", "\\s+(?!\\S)|\\s+"}})), "a   b",
        {65, 0, 0, 0, 66});

    // --- Metaspace + byte_fallback (é = C3 A9 -> <0xC3> 198, <0xA9> 172)
    add("Metaspace first: words, byte fallback", metaspaceSpec("first"), "ab \xC3\xA9", {263, 259, 198, 172});
    add("Metaspace first + TemplateProcessing <s>", metaspaceSpec("first"), "ab", {1, 263}, true);
    add("Metaspace first: nothing prepended after an added token", metaspaceSpec("first"), "<s>ab", {1, 260, 261});
    add("Metaspace always: prepended after an added token", metaspaceSpec("always"), "<s>ab", {1, 263});
    add("Metaspace never", metaspaceSpec("never"), "ab", {260, 261});
    add("Metaspace: leading space is the prefix", metaspaceSpec("first"), " ab", {263});
    add("Metaspace split: each ▁ starts a word", metaspaceSpec("first"), "a  b", {262, 259, 259, 261});
    add("Metaspace without byte_fallback: unk fused", metaspaceSpec("first", false, true), "a\xC3\xA9\xC3\xA9",
        {262, 0});
    add("Metaspace without byte_fallback: unk not fused", metaspaceSpec("first", false, false), "a\xC3\xA9\xC3\xA9",
        {262, 0, 0});
    {
        Spec legacy = metaspaceSpec("first");
        legacy.preTokenizer = {{"type", "Metaspace"}, {"replacement", kSp}, {"add_prefix_space", true}};
        add("Metaspace legacy add_prefix_space = always", legacy, "<s>ab", {1, 263});
    }

    // --- Added tokens
    add("added lstrip eats the spaces before", addedSpec(), "a <x> b", {65, 200, 0, 66});
    add("added rstrip eats the spaces after", addedSpec(), "a <y> b", {65, 0, 201, 66});
    add("added lstrip+rstrip eat all whitespace", addedSpec(), "a \t<z>\n b", {65, 202, 66});
    add("added single_word only as a whole word", addedSpec(), "ab cab ab", {203, 0, 67, 65, 66, 0, 203});
    add("added single_word: '_' is a word character", addedSpec(), "ab_", {65, 66, 63});
    add("added longest match first", addedSpec(), "<<<<", {206, 28});
    {
        Spec s;
        s.normalizer = {{"type", "Lowercase"}};
        s.addedTokens =
            json::array({addedToken(210, "<B>", true), addedToken(211, "XY", false, {{"normalized", true}})});
        add("added normalized=false matched in the raw text", s, "<B>xY", {210, 211});
        add("added normalized=false is case-sensitive", s, "<b>", {28, 66, 30});
        add("added normalized=true matched after normalization", s, "XYxy", {211, 211});
    }

    // --- Normalizers (é = 100)
    add("NFC composes", normalizerSpec({{"type", "NFC"}}), "e\xCC\x81", {100});
    add("NFKC folds compatibility characters", normalizerSpec({{"type", "NFKC"}}), "\xEF\xAC\x81", {70, 73});
    add("NFKC composes", normalizerSpec({{"type", "NFKC"}}), "e\xCC\x81", {100});
    add("Lowercase", normalizerSpec({{"type", "Lowercase"}}), "AB\xC3\x89", {65, 66, 100});
    add("Strip both sides", normalizerSpec({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}), "  ab  ",
        {65, 66});
    add("Strip left only", normalizerSpec({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}), "  ab  ",
        {65, 66, 0, 0});
    add("Prepend", normalizerSpec({{"type", "Prepend"}, {"prepend", "c"}}), "ab", {67, 65, 66});
    add("Prepend leaves empty text empty", normalizerSpec({{"type", "Prepend"}, {"prepend", "c"}}), "", {});
    add("Replace string", normalizerSpec({{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "bb"}}),
        "aca", {66, 66, 67, 66, 66});
    add("Replace regex", normalizerSpec({{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", "-"}}),
        "a  b c", {65, 13, 66, 13, 67});
    add("Sequence of normalizers",
        normalizerSpec(
            {{"type", "Sequence"},
             {"normalizers", json::array({json{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
                                          json{{"type", "Lowercase"}}, json{{"type", "Prepend"}, {"prepend", "c"}}})}}),
        " AB ", {67, 65, 66});

    // --- Digits / Punctuation / Whitespace (extra: "12" 100, "123" 101, "a1" 102, "a," 103)
    Spec digits;
    digits.vocab["12"] = 100;
    digits.vocab["123"] = 101;
    digits.vocab["a1"] = 102;
    digits.vocab["a,"] = 103;
    digits.merges = json::array({"1 2", "12 3", "a 1", "a ,"});
    add("no pre-tokenizer: letter and digit merge", digits, "a1", {102});
    {
        Spec s = digits;
        s.preTokenizer = {{"type", "Digits"}, {"individual_digits", false}};
        add("Digits contiguous", s, "a123", {65, 101});
        s.preTokenizer = {{"type", "Digits"}, {"individual_digits", true}};
        add("Digits individual", s, "a123", {65, 17, 18, 19});
        add("no pre-tokenizer: punctuation merges", digits, "a,b", {103, 66});
        s.preTokenizer = {{"type", "Punctuation"}, {"behavior", "Isolated"}};
        add("Punctuation isolated", s, "a,b", {65, 12, 66});
        s.preTokenizer = {{"type", "Whitespace"}};
        add("Whitespace", s, "ab, c", {65, 66, 12, 67});
        s.preTokenizer = {{"type", "WhitespaceSplit"}};
        add("WhitespaceSplit", s, "a1 b", {102, 66});
        s.preTokenizer = {{"type", "Sequence"},
                          {"pretokenizers", json::array({json{{"type", "WhitespaceSplit"}},
                                                         json{{"type", "Digits"}, {"individual_digits", true}}})}};
        add("Sequence of pre-tokenizers", s, "a1 23", {65, 17, 18, 19});
    }

    // --- ignore_merges ("abc" 100 is a vocab entry no merge builds)
    {
        Spec s;
        s.vocab["abc"] = 100;
        s.modelExtra = {{"ignore_merges", true}};
        add("ignore_merges: a whole-word vocab entry wins", s, "abc", {100});
        add("ignore_merges: other words go through BPE", s, "ab", {65, 66});
        s.modelExtra = {{"ignore_merges", false}};
        add("without ignore_merges: only merges build tokens", s, "abc", {65, 66, 67});
    }

    // --- continuing_subword_prefix / end_of_word_suffix
    {
        Spec s;
        s.vocab = json::object({{"a", 0}, {"##b", 1}, {"ab", 2}, {"##c", 3}, {"abc", 4}});
        s.merges = json::array({"a ##b", "ab ##c"});
        s.modelExtra = {{"continuing_subword_prefix", "##"}};
        add("continuing_subword_prefix", s, "abc", {4});
        add("continuing_subword_prefix, partial", s, "ac", {0, 3});
        Spec t;
        t.vocab = json::object({{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"b", 3}});
        t.merges = json::array({"a b</w>"});
        t.modelExtra = {{"end_of_word_suffix", "</w>"}};
        add("end_of_word_suffix", t, "ab", {2});
    }

    // --- post-processors (added <s> 95, </s> 96)
    {
        Spec s;
        s.addedTokens = json::array({addedToken(95, "<s>", true), addedToken(96, "</s>", true)});
        s.postProcessor = {{"type", "TemplateProcessing"},
                           {"single", json::array({json{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                                   json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                                   json{{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
                           {"special_tokens",
                            {{"<s>", {{"id", "<s>"}, {"ids", {95}}, {"tokens", {"<s>"}}}},
                             {"</s>", {{"id", "</s>"}, {"ids", {96}}, {"tokens", {"</s>"}}}}}}};
        add("TemplateProcessing <s> $A </s>", s, "ab", {95, 65, 66, 96}, true);
        add("TemplateProcessing not applied without add_special_tokens", s, "ab", {65, 66}, false);
        s.postProcessor = {{"type", "RobertaProcessing"}, {"cls", {"<s>", 95}}, {"sep", {"</s>", 96}}};
        add("RobertaProcessing cls $A sep", s, "ab", {95, 65, 66, 96}, true);
        s.postProcessor = nullptr;
        s.config = {{"tokenizer_class", "LlamaTokenizerFast"},
                    {"bos_token", "<s>"},
                    {"eos_token", "</s>"},
                    {"add_bos_token", true},
                    {"add_eos_token", true}};
        add("LlamaTokenizerFast add_bos_token + add_eos_token", s, "ab", {95, 65, 66, 96}, true);
    }
    return rows;
}

// --- A hand-written SentencePiece model (protobuf ModelProto), to test tokenizer.model.
std::string varint(std::uint64_t v) {
    std::string out;
    do {
        unsigned char b = v & 0x7F;
        v >>= 7;
        if (v)
            b |= 0x80;
        out.push_back(static_cast<char>(b));
    } while (v);
    return out;
}
std::string lenField(int num, const std::string& payload) {
    return varint(static_cast<std::uint64_t>(num) << 3 | 2) + varint(payload.size()) + payload;
}
std::string floatField(int num, float f) {
    std::string out = varint(static_cast<std::uint64_t>(num) << 3 | 5);
    char b[4];
    std::memcpy(b, &f, 4);
    return out + std::string(b, 4);
}
std::string spmPiece(const std::string& text, float score, int type) {
    return lenField(1, lenField(1, text) + floatField(2, score) + varint(3 << 3) +
                           varint(static_cast<std::uint64_t>(type)));
}

// Pieces: <unk> 0, <s> 1, </s> 2, ▁ 3, a 4, b 5, ▁a 6 (score -0.5), ab 7 (-0.1), <x> 8
// (user-defined), ba 9 (unused, score 0: merged first, then split again).
std::string spmModelBytes(bool removeExtraWhitespaces) {
    std::string m;
    m += spmPiece("<unk>", 0, 2) + spmPiece("<s>", 0, 3) + spmPiece("</s>", 0, 3);
    m += spmPiece(kSp, -1, 1) + spmPiece("a", -2, 1) + spmPiece("b", -3, 1) + spmPiece(kSp + "a", -0.5f, 1) +
         spmPiece("ab", -0.1f, 1) + spmPiece("<x>", 0, 4) + spmPiece("ba", 0, 5);
    m += lenField(2, varint(3 << 3) + varint(2)); // trainer_spec.model_type = BPE
    m += lenField(3, lenField(1, "identity") + varint(3 << 3) + varint(1) + varint(4 << 3) +
                         varint(removeExtraWhitespaces ? 1 : 0) + varint(5 << 3) + varint(1));
    return m;
}

} // namespace

class TestTokenizerRules final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handDerivedIds_data();
    void handDerivedIds();
    void metaspaceDecode();
    void addedTokensDecode();
    void byteLevelAddPrefixSpace();
    void invalidUtf8IsReplacedNotFatal_data();
    void invalidUtf8IsReplacedNotFatal();
    void randomBytesNeverCrash();
    void sentencePieceModelFile_data();
    void sentencePieceModelFile();
    void brokenFilesGiveClearErrors_data();
    void brokenFilesGiveClearErrors();
    void bytePieceSpelledOtherwiseIsText();

private:
    QTemporaryDir tmp_;
    std::vector<Row> rows_ = makeRows();
};

void TestTokenizerRules::handDerivedIds_data() {
    QTest::addColumn<int>("row");
    for (std::size_t k = 0; k < rows_.size(); ++k)
        QTest::newRow(rows_[k].name.c_str()) << static_cast<int>(k);
}

void TestTokenizerRules::handDerivedIds() {
    QFETCH(int, row);
    const Row& r = rows_[static_cast<std::size_t>(row)];
    const auto tok = build(tmp_, "rule" + std::to_string(row), r.spec);
    QCOMPARE(tok->encode(r.text, r.addSpecial), r.ids);
    // The offsets path must give the same ids.
    std::vector<std::int32_t> viaOffsets;
    for (const auto& s : tok->encodeWithOffsets(r.text, r.addSpecial))
        viaOffsets.push_back(s.id);
    QCOMPARE(viaOffsets, r.ids);
}

void TestTokenizerRules::metaspaceDecode() {
    const auto tok = build(tmp_, "metaspace-decode", metaspaceSpec("first"));
    QCOMPARE(tok->decode({263, 259, 198, 172}), std::string("ab \xC3\xA9"));
    // A byte run that is not valid UTF-8 becomes one U+FFFD per byte (ByteFallback).
    QCOMPARE(tok->decode({198}), std::string("\xEF\xBF\xBD"));
    QCOMPARE(tok->decode({198, 198}), std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));
    QCOMPARE(tok->decode({262, 198, 172}), std::string("a\xC3\xA9"));
    QCOMPARE(tok->decode({1, 263}, false), std::string("<s> ab"));
    QCOMPARE(tok->decode({1, 263}, true), std::string("ab"));
    QCOMPARE(tok->decode({99999, 263}), std::string("ab")); // unknown ids are skipped
}

void TestTokenizerRules::addedTokensDecode() {
    const auto tok = build(tmp_, "added-decode", addedSpec());
    QCOMPARE(tok->decode({65, 200, 66}, false), std::string("a<x>b"));
    QCOMPARE(tok->decode({65, 200, 66}, true), std::string("ab"));
    QCOMPARE(tok->decode({203}, true), std::string("ab")); // non-special added tokens stay
    QCOMPARE(tok->tokenToId("<z>").value_or(-1), 202);
    QCOMPARE(tok->idToToken(206).value_or(""), std::string("<<<"));
    QCOMPARE(tok->vocabSize(), 207);
}

void TestTokenizerRules::byteLevelAddPrefixSpace() {
    auto j = nlohmann::json::parse(std::ifstream(std::string(PS_FIXTURES) + "/tokenizers/gpt2/tokenizer.json"));
    const auto plain = ps::Tokenizer::load(std::string(PS_FIXTURES) + "/tokenizers/gpt2");
    j["pre_tokenizer"]["add_prefix_space"] = true;
    const auto prefixed = ps::Tokenizer::load(writeTokenizer(tmp_, "gpt2-prefix", j));
    QCOMPARE(prefixed->encode("Hello world"), plain->encode(" Hello world"));
    QCOMPARE(prefixed->encode(" Hello"), plain->encode(" Hello")); // already starts with a space
    // The prefix is added to every piece between added tokens.
    QCOMPARE(prefixed->encode("Hi<|endoftext|>there"), plain->encode(" Hi<|endoftext|> there"));
}

void TestTokenizerRules::invalidUtf8IsReplacedNotFatal_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("asIf");
    const QByteArray fffd("\xEF\xBF\xBD");
    QTest::newRow("lone 0xFF") << QByteArray("a\xFF"
                                             "b")
                               << (QByteArray("a") + fffd + "b");
    QTest::newRow("truncated 3-byte sequence is one U+FFFD") << QByteArray("x\xE2\x82") << (QByteArray("x") + fffd);
    QTest::newRow("overlong lead: one U+FFFD per byte") << QByteArray("\xF0\x80\x80") << (fffd + fffd + fffd);
    QTest::newRow("surrogate: one U+FFFD per byte") << QByteArray("\xED\xA0\x80"
                                                                  "z")
                                                    << (fffd + fffd + fffd + "z");
    QTest::newRow("stray continuation bytes") << QByteArray("\x80\x80"
                                                            "ok")
                                              << (fffd + fffd + "ok");
}

void TestTokenizerRules::invalidUtf8IsReplacedNotFatal() {
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, asIf);
    for (const char* fx : {"gpt2", "llama2-spm", "metaspace-new"}) {
        const auto tok = ps::Tokenizer::load(std::string(PS_FIXTURES) + "/tokenizers/" + fx);
        QCOMPARE(tok->encode(input.toStdString()), tok->encode(asIf.toStdString()));
    }
}

void TestTokenizerRules::randomBytesNeverCrash() {
    const auto gpt2 = ps::Tokenizer::load(std::string(PS_FIXTURES) + "/tokenizers/gpt2");
    const auto qwen = ps::Tokenizer::load(std::string(PS_FIXTURES) + "/tokenizers/qwen2-bpe");
    std::mt19937 rng(42);
    for (int k = 0; k < 300; ++k) {
        std::string s(rng() % 64, '\0');
        for (auto& c : s)
            c = static_cast<char>(rng() % 256);
        const auto ids = gpt2->encode(s);
        const std::string back = gpt2->decode(ids);
        QVERIFY(back.size() >= ids.size() / 4);
        qwen->encode(s, true);
        // Random ids decode to valid UTF-8 text.
        std::vector<std::int32_t> rnd(rng() % 16);
        for (auto& id : rnd)
            id = static_cast<std::int32_t>(rng() % 50300);
        const std::string text = gpt2->decode(rnd);
        QCOMPARE(gpt2->encode(text).empty(), text.empty());
    }
}

void TestTokenizerRules::sentencePieceModelFile_data() {
    QTest::addColumn<bool>("removeExtraWhitespaces");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<int>>("ids");
    // "▁ab": pairs ▁a (-0.5) and ab (-0.1): the higher score merges first, then ▁ + ab has no piece.
    QTest::newRow("highest score first") << true << QByteArray("ab") << QList<int>{3, 7};
    QTest::newRow("extra whitespace removed") << true << QByteArray("  a   b  ") << QList<int>{6, 3, 5};
    QTest::newRow("whitespace kept") << false << QByteArray(" a  b") << QList<int>{3, 6, 3, 3, 5};
    QTest::newRow("user-defined piece is never merged") << true << QByteArray("a<x>b") << QList<int>{6, 8, 5};
    QTest::newRow("consecutive unknowns fuse") << true << QByteArray("\xC3\xA9\xC3\xA9") << QList<int>{3, 0};
    QTest::newRow("unused piece is split again") << true << QByteArray("ba") << QList<int>{3, 5, 4};
    QTest::newRow("control piece text is a special token") << true << QByteArray("a</s>") << QList<int>{6, 2};
    QTest::newRow("empty") << true << QByteArray("") << QList<int>{};
}

void TestTokenizerRules::sentencePieceModelFile() {
    QFETCH(bool, removeExtraWhitespaces);
    QFETCH(QByteArray, text);
    QFETCH(QList<int>, ids);
    const std::string dir = tmp_.path().toStdString() + (removeExtraWhitespaces ? "/spm-strip" : "/spm-keep");
    std::filesystem::create_directories(dir);
    writeText(dir + "/tokenizer.model", spmModelBytes(removeExtraWhitespaces));
    const auto tok = ps::Tokenizer::load(dir);
    QCOMPARE(tok->backend(), std::string("sentencepiece"));
    const std::vector<std::int32_t> expected(ids.begin(), ids.end());
    QCOMPARE(tok->encode(text.toStdString()), expected);
    std::vector<std::int32_t> viaOffsets;
    for (const auto& s : tok->encodeWithOffsets(text.toStdString()))
        viaOffsets.push_back(s.id);
    QCOMPARE(viaOffsets, expected);
    // No tokenizer_config.json: <s> / </s> come from the model, BOS added by default (Llama).
    QCOMPARE(tok->bosId().value_or(-1), 1);
    QCOMPARE(tok->eosId().value_or(-1), 2);
    QCOMPARE(tok->encode("ab", true).front(), 1);
}

void TestTokenizerRules::brokenFilesGiveClearErrors_data() {
    QTest::addColumn<QByteArray>("tokenizerJson");
    QTest::addColumn<QByteArray>("expected");
    auto j = [](const Spec& s) { return QByteArray::fromStdString(toJson(s).dump()); };
    Spec s;
    auto bad = toJson(s);
    bad["model"]["vocab"] = json::array({1, 2});
    QTest::newRow("vocab is an array") << QByteArray::fromStdString(bad.dump())
                                       << QByteArray("model.vocab must be an object");
    bad = toJson(s);
    bad["model"]["vocab"]["a"] = "zero";
    QTest::newRow("vocab id is a string") << QByteArray::fromStdString(bad.dump()) << QByteArray("model.vocab['a']");
    bad = toJson(s);
    bad["model"]["merges"] = json::array({5});
    QTest::newRow("merge is a number") << QByteArray::fromStdString(bad.dump()) << QByteArray("model.merges[0]");
    bad = toJson(s);
    bad["model"]["merges"] = json::array({"a zz"});
    QTest::newRow("merge token not in vocab")
        << QByteArray::fromStdString(bad.dump()) << QByteArray("'zz' is not in model.vocab");
    bad = toJson(s);
    bad["model"]["type"] = "Unigram";
    QTest::newRow("unsupported model") << QByteArray::fromStdString(bad.dump())
                                       << QByteArray("unsupported model type 'Unigram'");
    Spec n = s;
    n.normalizer = {{"type", "Precompiled"}};
    QTest::newRow("unsupported normalizer") << j(n) << QByteArray("unsupported normalizer type 'Precompiled'");
    Spec p = s;
    p.preTokenizer = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    QTest::newRow("invalid regex") << j(p) << QByteArray("invalid regex '(unclosed'");
    p.preTokenizer = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}};
    QTest::newRow("unknown split behavior") << j(p) << QByteArray("unknown split behavior 'Sideways'");
    Spec a = s;
    a.addedTokens = json::array({json{{"id", "x"}, {"content", "<x>"}}});
    QTest::newRow("added token id is a string") << j(a) << QByteArray("added_tokens entry needs an integer 'id'");
    bad = toJson(s);
    bad["normalizer"] = "NFC";
    QTest::newRow("normalizer is a string")
        << QByteArray::fromStdString(bad.dump()) << QByteArray("normalizer must be an object");
    QTest::newRow("not JSON") << QByteArray("{\"model\": ") << QByteArray("tokenizer.json");
    QTest::newRow("no model") << QByteArray("{}") << QByteArray("missing 'model' object");
}

void TestTokenizerRules::brokenFilesGiveClearErrors() {
    QFETCH(QByteArray, tokenizerJson);
    QFETCH(QByteArray, expected);
    const std::string dir = tmp_.path().toStdString() + "/broken-" + QTest::currentDataTag();
    std::filesystem::create_directories(dir);
    writeText(dir + "/tokenizer.json", tokenizerJson.toStdString());
    try {
        ps::Tokenizer::load(dir);
        QFAIL("expected ps::Error");
    } catch (const ps::Error& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(dir + "/tokenizer.json") != std::string::npos, msg.c_str()); // names the file
        QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, msg.c_str());
    }
}

// fuzz_tokenizer_model: a tokenizer.model whose BYTE-type piece is not spelled "<0xHH>" made
// decode() throw std::invalid_argument from std::stoi (an uncaught non-ps::Error: the process
// ended). Such a piece now decodes as its text; every id of that file decodes.
void TestTokenizerRules::bytePieceSpelledOtherwiseIsText() {
    QCOMPARE(ps::tok::bytePieceValue("<0x0A>"), 10);
    QCOMPARE(ps::tok::bytePieceValue("<0xff>"), 255);
    QCOMPARE(ps::tok::bytePieceValue("<0xFF>"), 255);
    QCOMPARE(ps::tok::bytePieceValue("<0xZZ>"), -1);
    QCOMPARE(ps::tok::bytePieceValue("f-8\xe2\x96\x81"), -1);
    QCOMPARE(ps::tok::bytePieceValue("<0x0A"), -1);
    QCOMPARE(ps::tok::bytePieceValue("<0x0A>x"), -1);
    const QString dir = tmp_.filePath(QStringLiteral("byte-piece-not-hex"));
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(QFile::copy(QStringLiteral(PS_FIXTURES "/../fuzz/corpus/tokenizer_model/byte-piece-not-hex.model"),
                        dir + QStringLiteral("/tokenizer.model")));
    const auto tok = ps::Tokenizer::load(dir.toStdString());
    std::vector<std::int32_t> all;
    for (std::int32_t id = 0; id < tok->vocabSize(); ++id)
        all.push_back(id);
    for (std::int32_t id : all)
        (void)tok->decode({id}, false);
    QVERIFY(!tok->decode(all, false).empty());
}

QTEST_APPLESS_MAIN(TestTokenizerRules)
#include "tst_tokenizer_rules.moc"
