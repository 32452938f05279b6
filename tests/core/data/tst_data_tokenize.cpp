// Tokenizing for training: the end-of-turn / EOS token is a trained label in every template
// family, prompt masking, text and prompt/completion examples, truncation, statistics, thread
// independence, and the disk cache (a second run loads instead of tokenizing).
#include "data_test_util.h"

#include "ps/tokenizer.h"

#include <filesystem>

using namespace ps;
using namespace ps::testing;

namespace {

std::shared_ptr<Tokenizer> fixtureTokenizer(const std::string& name) {
    return Tokenizer::load(std::string(PS_FIXTURES) + "/tokenizers/" + name);
}

const char* kTwoTurns = "{\"conversations\": [{\"from\": \"system\", \"value\": \"Be brief.\"}, {\"from\": \"human\", "
                        "\"value\": \"Say hi.\"}, "
                        "{\"from\": \"gpt\", \"value\": \"Hi.\"}, {\"from\": \"human\", \"value\": \"Again.\"}, "
                        "{\"from\": \"gpt\", \"value\": \"Hi again.\"}]}\n";

int lastTrained(const std::vector<std::int32_t>& labels) {
    for (std::size_t i = labels.size(); i-- > 0;)
        if (labels[i] != -100)
            return static_cast<int>(i);
    return -1;
}

} // namespace

class TestDataTokenize final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void eosIsTrainedPerTemplateFamily_data() {
        QTest::addColumn<QString>("tokenizer");
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("stopToken");   // the token every assistant turn must end with
        QTest::addColumn<int>("stopsPerExample"); // trained stop tokens expected (one per turn when special)
        QTest::newRow("chatml (qwen2): <|im_end|>") << "qwen2-bpe"
                                                    << "chatml"
                                                    << "<|im_end|>" << 2;
        QTest::newRow("llama3: <|eot_id|>") << "llama3-bpe"
                                            << "llama3"
                                            << "<|eot_id|>" << 2;
        QTest::newRow("llama2: </s>") << "llama2-spm"
                                      << "llama2"
                                      << "</s>" << 2;
        QTest::newRow("mistral: </s>") << "llama2-spm"
                                       << "mistral"
                                       << "</s>" << 2;
        QTest::newRow("zephyr: </s>") << "metaspace-new"
                                      << "zephyr"
                                      << "</s>" << 2;
        QTest::newRow("alpaca: eos") << "llama2-spm"
                                     << "alpaca"
                                     << "</s>" << 2;
        QTest::newRow("plain: eos") << "gpt2"
                                    << "plain"
                                    << "<|endoftext|>" << 2;
        // The family's marker is not a token of this vocabulary: EOS is appended, trained.
        QTest::newRow("chatml on gpt2: eos appended") << "gpt2"
                                                      << "chatml"
                                                      << "<|endoftext|>" << 1;
        QTest::newRow("gemma on gpt2: eos appended") << "gpt2"
                                                     << "gemma"
                                                     << "<|endoftext|>" << 1;
        QTest::newRow("phi3 on llama2 vocab: eos appended") << "llama2-spm"
                                                            << "phi3"
                                                            << "</s>" << 1;
    }
    void eosIsTrainedPerTemplateFamily() {
        QFETCH(QString, tokenizer);
        QFETCH(QString, family);
        QFETCH(QString, stopToken);
        QFETCH(int, stopsPerExample);
        const auto tok = fixtureTokenizer(tokenizer.toStdString());
        const auto stop = tok->tokenToId(stopToken.toStdString());
        QVERIFY(stop.has_value());
        const auto p = writeFile(dir_, "two-turns.jsonl", kTwoTurns);
        TokenizeOptions o;
        o.chatFamily = chatFamilyFromName(family.toStdString());
        QVERIFY(o.chatFamily.has_value());
        const TokenizedDataset ds = tokenizeDataset(p, *tok, {}, o);
        QCOMPARE(ds.size(), std::size_t(1));
        const auto ids = ds.inputIds(0);
        const auto labels = ds.labels(0);
        const int last = lastTrained(labels);
        QVERIFY(last > 0);
        QCOMPARE(labels[static_cast<std::size_t>(last)], *stop);
        int trainedStops = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            QVERIFY(labels[i] == -100 || labels[i] == ids[i]);
            trainedStops += labels[i] == *stop ? 1 : 0;
        }
        QCOMPARE(trainedStops, stopsPerExample);
        // The prompt is not trained: the first user turn's text is masked.
        QCOMPARE(labels[0], -100);
        QVERIFY(ds.stats().numTrainedTokens < ds.stats().numTokens);
    }

    void trainOnPromptTrainsEverything() {
        const auto tok = fixtureTokenizer("qwen2-bpe");
        const auto p = writeFile(dir_, "two-turns.jsonl", kTwoTurns);
        TokenizeOptions o;
        o.trainOnPrompt = true;
        o.chatFamily = ChatFamily::ChatML;
        const auto ds = tokenizeDataset(p, *tok, {}, o);
        const auto labels = ds.labels(0);
        QCOMPARE(labels[0], -100);
        for (std::size_t i = 1; i < labels.size(); ++i)
            QVERIFY(labels[i] != -100);
        QCOMPARE(ds.stats().numTrainedTokens, ds.stats().numTokens - 1);
    }

    void textIsBosTextEosAllTrained() {
        const auto tok = fixtureTokenizer("llama2-spm"); // add_bos_token: true
        const auto p = writeFile(dir_, "t.txt", "Hello world.\n\nSecond document here.\n");
        const auto ds = tokenizeDataset(p, *tok);
        QCOMPARE(ds.size(), std::size_t(2));
        const auto ids = ds.inputIds(0);
        const auto labels = ds.labels(0);
        QCOMPARE(ids.front(), *tok->bosId());
        QCOMPARE(ids.back(), *tok->eosId());
        std::vector<std::int32_t> inner(ids.begin() + 1, ids.end() - 1);
        QCOMPARE(inner, tok->encode("Hello world."));
        QCOMPARE(labels[0], -100);
        for (std::size_t i = 1; i < ids.size(); ++i)
            QCOMPARE(labels[i], ids[i]);

        const auto gpt2 = fixtureTokenizer("gpt2"); // no BOS added by GPT-2
        const auto g = tokenizeDataset(p, *gpt2);
        QCOMPARE(g.inputIds(0).front(), gpt2->encode("Hello world.").front());
        QCOMPARE(g.inputIds(0).back(), *gpt2->eosId());
    }

    void promptCompletionTrainsTheCompletion() {
        const auto tok = fixtureTokenizer("gpt2");
        const auto p = writeFile(dir_, "pc.jsonl",
                                 R"({"prompt": "The sky is", "completion": " blue."})"
                                 "\n");
        const auto ds = tokenizeDataset(p, *tok);
        const auto prompt = tok->encode("The sky is");
        const auto completion = tok->encode(" blue.");
        const auto ids = ds.inputIds(0);
        const auto labels = ds.labels(0);
        QCOMPARE(ids.size(), prompt.size() + completion.size() + 1);
        for (std::size_t i = 0; i < prompt.size(); ++i)
            QCOMPARE(labels[i], -100);
        for (std::size_t i = prompt.size(); i < ids.size(); ++i)
            QCOMPARE(labels[i], ids[i]);
        QCOMPARE(ids.back(), *tok->eosId());
    }

    void truncationSplittingAndStatistics() {
        const auto tok = fixtureTokenizer("gpt2");
        std::string lines;
        for (int i = 0; i < 20; ++i)
            lines += "{\"instruction\": \"Repeat the word " + std::to_string(i) + " many times.\", \"output\": \"" +
                     std::string(static_cast<std::size_t>(i * 8), 'a') + " end\"}\n";
        const auto p = writeFile(dir_, "trunc.jsonl", lines);
        TokenizeOptions o;
        o.chatFamily = ChatFamily::Alpaca;
        const auto full = tokenizeDataset(p, *tok, {}, o);
        QCOMPARE(full.stats().numTruncated, std::int64_t(0));
        std::int64_t longest = 0, total = 0, trained = 0;
        for (std::size_t i = 0; i < full.size(); ++i) {
            longest = std::max(longest, full.length(i));
            total += full.length(i);
            for (auto l : full.labels(i))
                trained += l != -100;
        }
        const DatasetStats& s = full.stats();
        QCOMPARE(s.numRecords, std::int64_t(20));
        QCOMPARE(s.numExamples, std::int64_t(20));
        QCOMPARE(s.numTokens, total);
        QCOMPARE(s.numTrainedTokens, trained);
        QCOMPARE(s.length.max, longest);
        QVERIFY(s.length.min <= s.length.p50 && s.length.p50 <= s.length.p95 && s.length.p95 <= s.length.max);
        QCOMPARE(s.length.mean, static_cast<double>(total) / 20.0);

        o.cutoffLen = static_cast<int>(full.length(10)); // examples longer than example 10 are cut
        const auto cut = tokenizeDataset(p, *tok, {}, o);
        std::int64_t expectTruncated = 0;
        for (std::size_t i = 0; i < full.size(); ++i)
            expectTruncated += full.length(i) > o.cutoffLen;
        QVERIFY(expectTruncated > 0);
        QCOMPARE(cut.stats().numTruncated, expectTruncated);
        QCOMPARE(cut.stats().length.max, std::int64_t(o.cutoffLen));
        for (std::size_t i = 0; i < cut.size(); ++i)
            QVERIFY(cut.length(i) <= o.cutoffLen);

        // A cutoff inside the prompt leaves nothing to train: such examples are dropped.
        o.cutoffLen = 4;
        const auto none = tokenizeDataset(p, *tok, {}, o);
        QCOMPARE(none.size(), std::size_t(0));
        QCOMPARE(none.stats().numDropped, std::int64_t(20));
        QCOMPARE(none.stats().numTruncated, std::int64_t(20));

        // Long text becomes consecutive examples, not truncated ones.
        std::string doc;
        for (int i = 0; i < 200; ++i)
            doc += "word" + std::to_string(i) + " ";
        const auto t = writeFile(dir_, "long.txt", doc + "\n");
        TokenizeOptions to;
        to.cutoffLen = 64;
        const auto chunks = tokenizeDataset(t, *tok, {}, to);
        QVERIFY(chunks.size() > 3);
        QCOMPARE(chunks.stats().numTruncated, std::int64_t(0));
        QCOMPARE(chunks.stats().numRecords, std::int64_t(1));
        std::vector<std::int32_t> joined;
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            QVERIFY(chunks.length(i) <= 64);
            const auto ids = chunks.inputIds(i);
            joined.insert(joined.end(), ids.begin(), ids.end());
        }
        auto whole = tok->encode(doc + "");
        whole.push_back(*tok->eosId());
        QCOMPARE(joined, whole);
    }

    void templateErrorIsABadRecord() {
        const auto tok = fixtureTokenizer("llama2-spm");
        const auto p = writeFile(
            dir_, "alt.jsonl",
            std::string(kTwoTurns) +
                R"({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "c"}]})"
                "\n");
        TokenizeOptions o;
        o.chatFamily = ChatFamily::Llama2;
        ReadOptions r;
        r.format = DataFormat::ShareGpt; // both records read as turn lists
        QString error;
        try {
            tokenizeDataset(p, *tok, r, o);
        } catch (const Error& e) {
            error = q(e.what());
        }
        QVERIFY2(error.startsWith(q(p + ":2: chat template llama2: conversation roles must alternate")),
                 qPrintable(error));
        r.skipBad = true;
        const auto ds = tokenizeDataset(p, *tok, r, o);
        QCOMPARE(ds.size(), std::size_t(1));
        QCOMPARE(ds.info().numSkipped, std::int64_t(1));
        QCOMPARE(ds.info().issues[0].line, std::int64_t(2));
    }

    void resultDoesNotDependOnThreads() {
        const auto tok = fixtureTokenizer("gpt2");
        const std::string demo = std::string(PS_SOURCE_DIR) + "/resources/demo/instructions.jsonl";
        TokenizeOptions one, four;
        one.threads = 1;
        four.threads = 4;
        const auto a = tokenizeDataset(demo, *tok, {}, one);
        const auto b = tokenizeDataset(demo, *tok, {}, four);
        QCOMPARE(a.size(), b.size());
        QCOMPARE(a.size(), std::size_t(480));
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a.inputIds(i), b.inputIds(i));
            QCOMPARE(a.labels(i), b.labels(i));
        }
    }

    void cacheHitSkipsTokenizing() {
        const auto tok = fixtureTokenizer("gpt2");
        QTemporaryDir cache;
        const auto p = writeFile(dir_, "cache.jsonl",
                                 R"({"instruction": "a", "output": "b"})"
                                 "\n"
                                 R"({"instruction": "c", "input": "d", "output": "e"})"
                                 "\n");
        TokenizeOptions o;
        o.cacheDir = cache.path().toStdString();
        const auto first = tokenizeDataset(p, *tok, {}, o);
        QVERIFY(!first.loadedFromCache());
        QCOMPARE(first.recordsTokenized(), std::int64_t(2));
        QVERIFY(!first.cachePath().empty());
        QVERIFY(std::filesystem::exists(first.cachePath()));

        const auto second = tokenizeDataset(p, *tok, {}, o);
        QVERIFY(second.loadedFromCache());
        QCOMPARE(second.recordsTokenized(), std::int64_t(0));
        QCOMPARE(second.cachePath(), first.cachePath());
        QCOMPARE(second.size(), first.size());
        for (std::size_t i = 0; i < first.size(); ++i) {
            QCOMPARE(second.inputIds(i), first.inputIds(i));
            QCOMPARE(second.labels(i), first.labels(i));
        }
        QCOMPARE(q(second.info().formatReason), q(first.info().formatReason));
        QCOMPARE(second.stats().numTokens, first.stats().numTokens);
        QCOMPARE(second.stats().length.p95, first.stats().length.p95);

        // Another setting is another key.
        TokenizeOptions other = o;
        other.trainOnPrompt = true;
        QVERIFY(!tokenizeDataset(p, *tok, {}, other).loadedFromCache());

        // Changed content is another key.
        writeFile(dir_, "cache.jsonl",
                  R"({"instruction": "a", "output": "B"})"
                  "\n");
        const auto changed = tokenizeDataset(p, *tok, {}, o);
        QVERIFY(!changed.loadedFromCache());
        QCOMPARE(changed.size(), std::size_t(1));

        // A damaged cache file is detected, rebuilt, and says so.
        const std::string path = changed.cachePath();
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(20);
            f.put('\x7f');
        }
        const auto rebuilt = tokenizeDataset(p, *tok, {}, o);
        QVERIFY(!rebuilt.loadedFromCache());
        QCOMPARE(rebuilt.recordsTokenized(), std::int64_t(1));
        bool said = false;
        for (const auto& w : rebuilt.warnings())
            said = said || q(w) == q(path + ": not a valid dataset cache (checksum mismatch); rebuilt it");
        QVERIFY(said);
        QVERIFY(tokenizeDataset(p, *tok, {}, o).loadedFromCache());
    }

    void cancelStopsTokenizing() {
        const auto tok = fixtureTokenizer("gpt2");
        std::string text;
        for (int i = 0; i < 30000; ++i)
            text += "{\"text\": \"line " + std::to_string(i) + " of a long file that takes more than one read\"}\n";
        const auto p = writeFile(dir_, "cancel.jsonl", text);
        std::atomic<bool> cancel{false};
        ReadOptions r;
        r.cancel = &cancel;
        r.progress = [&](std::uint64_t done, std::uint64_t) {
            if (done > 0)
                cancel = true;
        };
        bool cancelled = false;
        try {
            tokenizeDataset(p, *tok, r, {});
        } catch (const DataCancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
    }
};

QTEST_APPLESS_MAIN(TestDataTokenize)
#include "tst_data_tokenize.moc"
