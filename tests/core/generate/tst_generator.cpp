// The public Generator on a random model folder with a real tokenizer (the qwen2-bpe fixture,
// ChatML markers, EOS <|im_end|>): streamed pieces add up to the result text, which is the
// decoded continuation of the prompt; stop strings cut the text and never reach the stream;
// chat mode renders the template with the generation prompt and stops on the end-of-turn token.
#include "generate_test_util.h"

#include "ps/generate.h"
#include "ps/tokenizer.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

class TstGenerator final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    std::string modelDir_;
    std::unique_ptr<Generator> generator_;

    GenerationOptions freeRun(std::int64_t n) const {
        GenerationOptions o;
        o.maxNewTokens = n;
        o.stopOnEos = false;
        return o;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        modelDir_ = tmp_.path().toStdString() + "/qwen-text";
        test::writeTextModel(modelDir_, "qwen2-bpe", 5);
        generator_ = std::make_unique<Generator>(test::generatorConfig(modelDir_));
        QVERIFY(generator_->tokenizer() != nullptr);
    }

    void streamedPiecesAreTheDecodedContinuation_data() {
        QTest::addColumn<bool>("cache");
        QTest::addColumn<double>("temperature");
        QTest::newRow("greedy, kv cache") << true << 0.0;
        QTest::newRow("greedy, recomputed") << false << 0.0;
        QTest::newRow("sampled, kv cache") << true << 1.0;
    }
    void streamedPiecesAreTheDecodedContinuation() {
        QFETCH(bool, cache);
        QFETCH(double, temperature);
        auto options = freeRun(30);
        options.useKvCache = cache;
        options.sampling.temperature = temperature;
        options.sampling.seed = 11;
        const std::string prompt = "Once upon a time, in a land far away,";
        std::string streamed;
        std::vector<std::int32_t> streamedIds;
        const auto r = generator_->generateText(prompt, options, [&](std::int32_t id, const std::string& piece) {
            streamedIds.push_back(id);
            streamed += piece;
        });
        QCOMPARE(r.ids.size(), std::size_t(30));
        QCOMPARE(streamedIds, r.ids);
        QCOMPARE(streamed, r.text);
        const Tokenizer& tok = *generator_->tokenizer();
        auto all = tok.encode(prompt, true);
        const std::string before = tok.decode(all, true);
        all.insert(all.end(), r.ids.begin(), r.ids.end());
        QCOMPARE(QString::fromStdString(before + r.text), QString::fromStdString(tok.decode(all, true)));
        QCOMPARE(r.stop, GenerationStop::MaxNewTokens);
        QVERIFY(!r.text.empty());
    }

    void sameSeedSameText() {
        auto options = freeRun(20);
        options.sampling.temperature = 0.9;
        options.sampling.topK = 40;
        options.sampling.seed = 2024;
        const auto a = generator_->generateText("Hello", options);
        const auto b = generator_->generateText("Hello", options);
        QCOMPARE(a.text, b.text);
        QCOMPARE(a.ids, b.ids);
    }

    // A stop string taken from the middle of a free run: the run with it ends at the token
    // that completes it, its text is the free text up to the stop string, and no piece holds it.
    void stopStringCutsTheText() {
        const auto free = generator_->generateText("The weather today", freeRun(40));
        const std::size_t at = free.text.size() / 2;
        std::size_t from = at;
        while (from > 0 && (static_cast<unsigned char>(free.text[from]) & 0xC0) == 0x80)
            --from;
        std::size_t to = from + 1;
        while (to < free.text.size() && (static_cast<unsigned char>(free.text[to]) & 0xC0) == 0x80)
            ++to;
        const std::string stop = free.text.substr(from, to + 1 <= free.text.size() ? to - from + 1 : to - from);
        QVERIFY(!stop.empty());
        auto options = freeRun(40);
        options.stopStrings = {stop};
        std::string streamed;
        const auto r = generator_->generateText("The weather today", options,
                                                [&](std::int32_t, const std::string& piece) { streamed += piece; });
        QCOMPARE(r.stop, GenerationStop::StopString);
        QCOMPARE(QString::fromStdString(r.text), QString::fromStdString(free.text.substr(0, free.text.find(stop))));
        QCOMPARE(streamed, r.text);
        QVERIFY(r.ids.size() < free.ids.size());
        QCOMPARE(r.ids, std::vector<std::int32_t>(free.ids.begin(), free.ids.begin() + r.ids.size()));
    }

    void chatUsesTheTemplateAndItsEndOfTurn() {
        const Tokenizer& tok = *generator_->tokenizer();
        const auto imEnd = tok.tokenToId("<|im_end|>");
        QVERIFY(imEnd.has_value());
        const auto eos = generator_->eosIds();
        QVERIFY(std::find(eos.begin(), eos.end(), *imEnd) != eos.end());
        const std::vector<ChatMessage> messages{{"system", "Be brief."}, {"user", "Hi there"}};
        const auto r = generator_->generateChat(messages, freeRun(12), {}, nullptr, ChatFamily::ChatML);
        const auto rendered = renderChat(tok, messages, ChatFamily::ChatML, true);
        QCOMPARE(r.promptTokens, static_cast<std::int64_t>(rendered.ids.size()));
        QVERIFY(rendered.text.size() > 12 &&
                rendered.text.compare(rendered.text.size() - 22, 22, "<|im_start|>assistant\n") == 0);
        // Greedy chat = greedy on the rendered ids.
        QCOMPARE(r.ids, generator_->generate(rendered.ids, freeRun(12)).ids);
    }

    // A model that always predicts <|im_end|>, with EOS moved to <|endoftext|>: in chat mode
    // (ChatML) <|im_end|> ends the turn and shows no text; as plain text it is just a token.
    void endOfTurnTokenStopsChat() {
        const auto tok = Tokenizer::load(test::tokenizerFixture("qwen2-bpe"));
        const std::int32_t imEnd = *tok->tokenToId("<|im_end|>");
        const std::string dir = tmp_.path().toStdString() + "/im-end";
        test::writeForcingModel(dir, "qwen2-bpe", imEnd, "<|endoftext|>");
        Generator g(test::generatorConfig(dir));
        QCOMPARE(g.eosIds(), std::vector<std::int32_t>{*tok->tokenToId("<|endoftext|>")});
        std::string streamed;
        const auto chat = g.generateChat(
            {{"user", "Hi"}}, GenerationOptions{}, [&](std::int32_t, const std::string& p) { streamed += p; }, nullptr,
            ChatFamily::ChatML);
        QCOMPARE(chat.ids, std::vector<std::int32_t>{imEnd});
        QCOMPARE(chat.stop, GenerationStop::EndOfTurn);
        QCOMPARE(chat.text, std::string());
        QCOMPARE(streamed, std::string());
        GenerationOptions three;
        three.maxNewTokens = 3;
        const auto plain = g.generateText("Hi", three);
        QCOMPARE(plain.ids, std::vector<std::int32_t>(3, imEnd));
        QCOMPARE(plain.stop, GenerationStop::MaxNewTokens);
        three.stopOnEos = false;
        QCOMPARE(g.generateChat({{"user", "Hi"}}, three, {}, nullptr, ChatFamily::ChatML).ids.size(), std::size_t(3));
    }

    void promptTextNeedsTokens() {
        QVERIFY(!test::errorOf([&] { generator_->generateText("", freeRun(3)); }).empty());
    }
};

QTEST_APPLESS_MAIN(TstGenerator)
#include "tst_generator.moc"
