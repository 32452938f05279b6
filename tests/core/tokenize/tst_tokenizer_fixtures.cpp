// Every case of every tokenizer fixture (ids from Hugging Face tokenizers / reference
// encoders) must come out exactly; decode must give the recorded text; encoding from many
// threads at once must give the same ids.
#include "ps/error.h"
#include "ps/tokenizer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <thread>

namespace {

const std::string kRoot = std::string(PS_FIXTURES) + "/tokenizers/";

struct Case {
    std::string text;
    bool hasText = false;
    std::vector<std::int32_t> ids, idsWithSpecial;
    bool hasWithSpecial = false;
    std::string decoded, decodedSkip;
    bool hasDecoded = false, hasDecodedSkip = false;
};

std::vector<Case> readCases(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    std::vector<Case> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        const auto j = nlohmann::json::parse(line);
        Case c;
        if (j.contains("text")) {
            c.hasText = true;
            c.text = j["text"].get<std::string>();
        }
        c.ids = j["ids"].get<std::vector<std::int32_t>>();
        if (j.contains("ids_with_special")) {
            c.hasWithSpecial = true;
            c.idsWithSpecial = j["ids_with_special"].get<std::vector<std::int32_t>>();
        }
        if (j.contains("decoded")) {
            c.hasDecoded = true;
            c.decoded = j["decoded"].get<std::string>();
        }
        if (j.contains("decoded_skip_special")) {
            c.hasDecodedSkip = true;
            c.decodedSkip = j["decoded_skip_special"].get<std::string>();
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string show(const std::vector<std::int32_t>& ids) {
    std::string s;
    for (auto i : ids)
        s += std::to_string(i) + " ";
    return s;
}

// A folder with only tokenizer.model + tokenizer_config.json, so that load() takes the
// SentencePiece path.
std::string sentencePieceCopy(QTemporaryDir& tmp, const std::string& fixture) {
    namespace fs = std::filesystem;
    const fs::path dst = fs::path(tmp.path().toStdString()) / fixture;
    fs::create_directories(dst);
    for (const char* f : {"tokenizer.model", "tokenizer_config.json"})
        fs::copy_file(fs::path(kRoot) / fixture / f, dst / f, fs::copy_options::overwrite_existing);
    return dst.string();
}

} // namespace

class TestTokenizerFixtures final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void encodeDecode_data();
    void encodeDecode();
    void roundTripWhereTheFixtureSaysSo_data();
    void roundTripWhereTheFixtureSaysSo();
    void offsetsAgreeWithIds_data();
    void offsetsAgreeWithIds();
    void manyThreadsAtOnce_data();
    void manyThreadsAtOnce();
    void specialTokensAndConfig();
    void contentHashIdentifiesTheFiles();

private:
    QTemporaryDir tmp_;
};

void TestTokenizerFixtures::encodeDecode_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QString>("file");
    for (const char* fx : {"gpt2", "llama2-spm", "llama3-bpe", "qwen2-bpe", "metaspace-new"}) {
        for (const char* f : {"cases.jsonl", "cases_special.jsonl", "decode_cases.jsonl"}) {
            if (!std::filesystem::exists(kRoot + fx + "/" + f))
                continue;
            QTest::addRow("%s %s", fx, f) << QString::fromStdString(kRoot + fx) << QString::fromUtf8(f);
        }
    }
    // llama2-spm through libsentencepiece (no tokenizer.json in the folder): the README says
    // SentencePiece gives the same ids for every cases.jsonl string.
    const std::string spm = sentencePieceCopy(tmp_, "llama2-spm");
    for (const char* f : {"cases.jsonl", "cases_special.jsonl", "decode_cases.jsonl"})
        QTest::addRow("llama2-spm via tokenizer.model %s", f)
            << QString::fromStdString(spm + "|" + kRoot + "llama2-spm") << QString::fromUtf8(f);
}

void TestTokenizerFixtures::encodeDecode() {
    QFETCH(QString, dir);
    QFETCH(QString, file);
    std::string loadDir = dir.toStdString(), caseDir = loadDir;
    if (auto bar = loadDir.find('|'); bar != std::string::npos) {
        caseDir = loadDir.substr(bar + 1);
        loadDir = loadDir.substr(0, bar);
    }
    const auto tok = ps::Tokenizer::load(loadDir);
    const auto cases = readCases(caseDir + "/" + file.toStdString());
    QVERIFY(!cases.empty());
    int checked = 0;
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const Case& c = cases[k];
        const std::string where = file.toStdString() + " line " + std::to_string(k + 1);
        if (c.hasText) {
            const auto ids = tok->encode(c.text, false);
            if (ids != c.ids)
                QFAIL(
                    qPrintable(QString::fromStdString(where + ": text " + nlohmann::json(c.text).dump().substr(0, 120) +
                                                      "\n got " + show(ids) + "\n want " + show(c.ids))));
            if (c.hasWithSpecial) {
                const auto ws = tok->encode(c.text, true);
                if (ws != c.idsWithSpecial)
                    QFAIL(qPrintable(QString::fromStdString(where + " (add_special_tokens): got " + show(ws) +
                                                            " want " + show(c.idsWithSpecial))));
            }
            ++checked;
        }
        if (c.hasDecoded)
            QCOMPARE(tok->decode(c.ids, false), c.decoded);
        if (c.hasDecodedSkip)
            QCOMPARE(tok->decode(c.ids, true), c.decodedSkip);
    }
    QVERIFY(checked > 0 || file == QLatin1String("decode_cases.jsonl"));
}

void TestTokenizerFixtures::roundTripWhereTheFixtureSaysSo_data() {
    QTest::addColumn<QByteArray>("fixture");
    QTest::addColumn<int>("expectedRoundTrips");
    // Counts from each fixture's README ("decode(encode(text)) == text for N of the public strings").
    QTest::newRow("gpt2: every case") << QByteArray("gpt2") << 247;
    QTest::newRow("llama3-bpe: every case") << QByteArray("llama3-bpe") << 260;
    QTest::newRow("qwen2-bpe: all but NFC-changed text") << QByteArray("qwen2-bpe") << 254;
    QTest::newRow("llama2-spm: all but literal U+2581") << QByteArray("llama2-spm") << 258;
    QTest::newRow("metaspace-new: all but leading space / U+2581") << QByteArray("metaspace-new") << 249;
}

void TestTokenizerFixtures::roundTripWhereTheFixtureSaysSo() {
    QFETCH(QByteArray, fixture);
    QFETCH(int, expectedRoundTrips);
    const auto tok = ps::Tokenizer::load(kRoot + fixture.toStdString());
    int ok = 0;
    for (const Case& c : readCases(kRoot + fixture.toStdString() + "/cases.jsonl"))
        if (tok->decode(tok->encode(c.text), false) == c.text)
            ++ok;
    QCOMPARE(ok, expectedRoundTrips);
}

void TestTokenizerFixtures::offsetsAgreeWithIds_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* fx : {"gpt2", "llama2-spm", "llama3-bpe", "qwen2-bpe", "metaspace-new"})
        QTest::newRow(fx) << QString::fromUtf8(fx);
}

void TestTokenizerFixtures::offsetsAgreeWithIds() {
    QFETCH(QString, fixture);
    const auto tok = ps::Tokenizer::load(kRoot + fixture.toStdString());
    for (const char* f : {"cases.jsonl", "cases_special.jsonl"}) {
        for (const Case& c : readCases(kRoot + fixture.toStdString() + "/" + f)) {
            const auto spans = tok->encodeWithOffsets(c.text, false);
            std::vector<std::int32_t> ids;
            std::uint32_t prevBegin = 0;
            for (const auto& s : spans) {
                ids.push_back(s.id);
                QVERIFY(s.begin < s.end);
                QVERIFY(s.end <= c.text.size());
                QVERIFY(s.begin >= prevBegin);
                prevBegin = s.begin;
            }
            QCOMPARE(ids, c.ids);
        }
    }
    // A token's span covers the text it stands for.
    const auto spans = tok->encodeWithOffsets("Hello world", false);
    QVERIFY(!spans.empty());
    QCOMPARE(spans.front().begin, 0u);
    QCOMPARE(spans.back().end, 11u);
}

void TestTokenizerFixtures::manyThreadsAtOnce_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* fx : {"gpt2", "llama2-spm", "llama3-bpe", "qwen2-bpe", "metaspace-new"})
        QTest::newRow(fx) << QString::fromUtf8(fx);
}

void TestTokenizerFixtures::manyThreadsAtOnce() {
    QFETCH(QString, fixture);
    const std::string dir = kRoot + fixture.toStdString();
    // A fresh tokenizer, so that the threads also race on filling the word cache.
    const auto tok = ps::Tokenizer::load(dir);
    std::vector<Case> cases = readCases(dir + "/cases.jsonl");
    for (auto& c : readCases(dir + "/cases_special.jsonl"))
        cases.push_back(std::move(c));
    constexpr int kThreads = 8;
    std::vector<int> failures(kThreads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; ++t) {
        pool.emplace_back([&, t] {
            for (int round = 0; round < 3; ++round)
                for (std::size_t k = 0; k < cases.size(); ++k) {
                    const Case& c = cases[(k * 7 + static_cast<std::size_t>(t) * 31) % cases.size()];
                    if (tok->encode(c.text, false) != c.ids)
                        ++failures[static_cast<std::size_t>(t)];
                }
        });
    }
    for (auto& th : pool)
        th.join();
    for (int t = 0; t < kThreads; ++t)
        QCOMPARE(failures[static_cast<std::size_t>(t)], 0);

    std::vector<std::string> texts;
    for (const auto& c : cases)
        texts.push_back(c.text);
    const auto batch = tok->encodeBatch(texts, false, kThreads);
    QCOMPARE(batch.size(), cases.size());
    for (std::size_t k = 0; k < cases.size(); ++k)
        QCOMPARE(batch[k], cases[k].ids);
}

void TestTokenizerFixtures::specialTokensAndConfig() {
    const auto gpt2 = ps::Tokenizer::load(kRoot + "gpt2");
    QCOMPARE(gpt2->backend(), std::string("tokenizer.json"));
    QCOMPARE(gpt2->vocabSize(), 50257);
    QCOMPARE(gpt2->eosId().value_or(-1), 50256);
    QCOMPARE(gpt2->eosToken(), std::string("<|endoftext|>"));
    QCOMPARE(gpt2->modelMaxLength(), std::int64_t(1024));
    QVERIFY(!gpt2->addBosToken());
    QCOMPARE(gpt2->tokenToId("Hello").value_or(-1), 15496);
    QCOMPARE(gpt2->idToToken(995).value_or(""), std::string("\xC4\xA0world"));
    QVERIFY(gpt2->isSpecial(50256));
    QVERIFY(!gpt2->idToToken(60000));

    const auto llama = ps::Tokenizer::load(kRoot + "llama2-spm");
    QCOMPARE(llama->bosId().value_or(-1), 1);
    QCOMPARE(llama->eosId().value_or(-1), 2);
    QCOMPARE(llama->unkId().value_or(-1), 0);
    QVERIFY(!llama->padId());
    QVERIFY(llama->addBosToken());
    QVERIFY(!llama->addEosToken());
    QCOMPARE(llama->modelMaxLength(), std::int64_t(4096));

    const auto spm = ps::Tokenizer::load(sentencePieceCopy(tmp_, "llama2-spm"));
    QCOMPARE(spm->backend(), std::string("sentencepiece"));
    QCOMPARE(spm->vocabSize(), 2000);
    QCOMPARE(spm->bosId().value_or(-1), 1);
    QCOMPARE(spm->encode("Hello world", true), llama->encode("Hello world", true));

    const auto qwen = ps::Tokenizer::load(kRoot + "qwen2-bpe");
    QCOMPARE(qwen->eosToken(), std::string("<|im_end|>"));
    QCOMPARE(qwen->padId().value_or(-1), 3000);
    QVERIFY(!qwen->bosId());
    QVERIFY(!qwen->isSpecial(3003)); // <tool_call> is a normal added token

    const auto llama3 = ps::Tokenizer::load(kRoot + "llama3-bpe");
    QCOMPARE(llama3->encode("Hi", true).front(), 3000);
}

void TestTokenizerFixtures::contentHashIdentifiesTheFiles() {
    const auto a = ps::Tokenizer::load(kRoot + "gpt2");
    const auto b = ps::Tokenizer::load(kRoot + "gpt2");
    const auto c = ps::Tokenizer::load(kRoot + "qwen2-bpe");
    QCOMPARE(a->contentHash().size(), std::size_t(64));
    QCOMPARE(a->contentHash(), b->contentHash());
    QVERIFY(a->contentHash() != c->contentHash());
}

QTEST_APPLESS_MAIN(TestTokenizerFixtures)
#include "tst_tokenizer_fixtures.moc"
