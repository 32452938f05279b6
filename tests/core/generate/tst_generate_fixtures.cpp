// Generation on the reference fixtures (transformers / peft): greedy with the key/value cache
// equals greedy by full recomputation token for token, and the cached logits equal the full
// forward's at every step, for every model fixture, every adapter fixture (prefix tuning's
// cached prefixes and prompt tuning's virtual tokens included) and a random model of every
// supported model_type; the first greedy token is the argmax of the fixture's logits, and
// the whole greedy continuation equals transformers' / peft's (fixtures/generation/greedy_ids.json).
#include "generate_test_util.h"

#include "ps/error.h"
#include "ps/generate.h"

#include <QDir>
#include <QtTest>

using namespace ps;

namespace {

QStringList subfolders(const QString& dir) {
    return QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
}

// A small random model of a model_type, with a sliding window shorter than the test's
// sequences where the type has one (so the window is active while decoding from the cache).
model::ModelConfig tinyConfig(const std::string& type) {
    Json c = {{"model_type", type}, {"vocab_size", 300}, {"initializer_range", 0.3}};
    if (type == "gpt2") {
        c.update({{"n_layer", 2}, {"n_embd", 32}, {"n_head", 4}, {"n_positions", 64}});
    } else {
        c.update({{"num_hidden_layers", 2},
                  {"hidden_size", 32},
                  {"intermediate_size", 48},
                  {"num_attention_heads", 4},
                  {"num_key_value_heads", 2},
                  {"max_position_embeddings", 128}});
        if (type == "mistral")
            c["sliding_window"] = 4;
        if (type == "qwen2")
            c.update({{"sliding_window", 4}, {"use_sliding_window", true}, {"max_window_layers", 1}});
        if (type == "phi3")
            c["sliding_window"] = nullptr;
    }
    return model::parseModelConfig(c, type + " test config");
}

struct Run {
    gen::DecodeOutcome outcome;
    std::vector<torch::Tensor> logits;
};

Run greedy(test::Runner& r, const std::vector<std::int32_t>& prompt, bool cache, std::int64_t n) {
    Run run;
    gen::DecodeSettings s;
    s.maxNewTokens = n;
    s.useKvCache = cache;
    s.recordLogits = &run.logits;
    run.outcome = gen::decodeTokens(*r.source, prompt, s);
    return run;
}

void compareCachedWithRecomputed(test::Runner& r, const std::vector<std::int32_t>& prompt, std::int64_t n) {
    const auto cached = greedy(r, prompt, true, n);
    const auto full = greedy(r, prompt, false, n);
    QCOMPARE(cached.outcome.ids.size(), std::size_t(n));
    QCOMPARE(cached.outcome.ids, full.outcome.ids);
    QCOMPARE(cached.logits.size(), full.logits.size());
    for (std::size_t i = 0; i < cached.logits.size(); ++i) {
        const double diff = test::maxAbsDiff(cached.logits[i], full.logits[i]);
        QVERIFY2(diff <= 1e-4, qPrintable(QStringLiteral("step %1: %2").arg(i).arg(diff)));
    }
}

} // namespace

class TstGenerateFixtures final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cacheEqualsRecomputation_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("adapter");
        const QString fixtures = QString::fromUtf8(PS_FIXTURES);
        for (const auto& m : subfolders(fixtures + QStringLiteral("/models")))
            QTest::newRow(qPrintable(QStringLiteral("model ") + m)) << m << QString();
        for (const auto& a : subfolders(fixtures + QStringLiteral("/adapters")))
            QTest::newRow(qPrintable(QStringLiteral("adapter ") + a)) << QString() << a;
    }
    void cacheEqualsRecomputation() {
        QFETCH(QString, model);
        QFETCH(QString, adapter);
        const std::string a = adapter.toStdString();
        const std::string dir = a.empty() ? test::modelFixture(model.toStdString()) : test::adapterFixture(a);
        auto r = a.empty() ? test::Runner::fromDirs(dir) : test::Runner::fromDirs(test::baseOfAdapter(a), dir);
        const auto ids = test::referenceTensor(dir, "input_ids");
        for (std::int64_t row = 0; row < ids.size(0); ++row)
            compareCachedWithRecomputed(r, test::idsOfRow(ids, row), 16);
    }

    void everyModelTypeCachesCorrectly_data() {
        QTest::addColumn<QString>("type");
        for (const auto& t : model::supportedModelTypeNames())
            QTest::newRow(t.c_str()) << QString::fromStdString(t);
    }
    void everyModelTypeCachesCorrectly() {
        QFETCH(QString, type);
        test::Runner r(model::randomCausalLM(tinyConfig(type.toStdString()), 17));
        compareCachedWithRecomputed(r, {5, 17, 200, 3, 99}, 20);
    }

    // Freshly injected adapters of every method (DoRA and rsLoRA included, which no fixture
    // has), their tensors perturbed so that none is an identity, on a llama and a gpt2 model.
    void everyMethodCachesCorrectly_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("method");
        for (const char* type : {"llama", "gpt2"})
            for (const char* m : {"lora", "dora", "rslora", "ia3", "loha", "lokr", "prompt", "prefix"})
                QTest::newRow((std::string(type) + " " + m).c_str())
                    << QString::fromLatin1(type) << QString::fromLatin1(m);
    }
    void everyMethodCachesCorrectly() {
        QFETCH(QString, type);
        QFETCH(QString, method);
        const std::string m = method.toStdString();
        AdapterSpec spec;
        spec.method = m == "ia3"      ? PeftMethod::Ia3
                      : m == "loha"   ? PeftMethod::Loha
                      : m == "lokr"   ? PeftMethod::Lokr
                      : m == "prompt" ? PeftMethod::PromptTuning
                      : m == "prefix" ? PeftMethod::PrefixTuning
                                      : PeftMethod::Lora;
        spec.r = 4;
        spec.alpha = 8;
        spec.useDora = m == "dora";
        spec.useRslora = m == "rslora";
        spec.numVirtualTokens = 3;
        auto base = model::randomCausalLM(tinyConfig(type.toStdString()), 23);
        auto peft = std::make_unique<adapters::PeftModel>(base, spec, 4);
        {
            torch::NoGradGuard noGrad;
            for (auto& [key, t] : peft->tensors())
                t.add_(torch::randn_like(t) * 0.3);
        }
        peft->train(false);
        base->eval();
        test::Runner r(base, std::move(peft));
        compareCachedWithRecomputed(r, {5, 17, 200, 3, 99}, 12);
    }

    // Through the public API: the first greedy token is the argmax of the reference logits at
    // the prompt's last position (prompt tuning's rows include its virtual tokens, so it is the
    // last row there too).
    void firstTokenIsArgmaxOfReferenceLogits_data() { cacheEqualsRecomputation_data(); }
    void firstTokenIsArgmaxOfReferenceLogits() {
        QFETCH(QString, model);
        QFETCH(QString, adapter);
        const std::string a = adapter.toStdString();
        GeneratorConfig config;
        config.modelDir = a.empty() ? test::modelFixture(model.toStdString()) : test::baseOfAdapter(a);
        config.adapterDir = a.empty() ? "" : test::adapterFixture(a);
        const std::string dir = a.empty() ? config.modelDir : config.adapterDir;
        const auto ids = test::referenceTensor(dir, "input_ids");
        const auto logits = test::referenceTensor(dir, "logits");
        Generator generator(config);
        GenerationOptions options;
        options.maxNewTokens = 1;
        for (std::int64_t row = 0; row < ids.size(0); ++row) {
            const auto result = generator.generate(test::idsOfRow(ids, row), options);
            const auto expected = logits[row][logits.size(1) - 1].argmax().item<std::int64_t>();
            QCOMPARE(result.ids.size(), std::size_t(1));
            QCOMPARE(static_cast<std::int64_t>(result.ids[0]), expected);
            QCOMPARE(result.promptTokens, ids.size(1));
        }
    }

    // transformers' generate(do_sample=False) (stops at EOS) and its argmax loop without EOS,
    // token for token, through the public API with and without the cache.
    void greedyEqualsTransformers_data() { cacheEqualsRecomputation_data(); }
    void greedyEqualsTransformers() {
        QFETCH(QString, model);
        QFETCH(QString, adapter);
        const std::string a = adapter.toStdString();
        const Json expected = parseJsonFile(std::string(PS_FIXTURES) + "/generation/greedy_ids.json");
        const Json& entry = a.empty() ? expected["models"][model.toStdString()] : expected["adapters"][a];
        QVERIFY(entry.is_object());
        if (!a.empty() && expected["known_differences"].contains(a))
            QSKIP(expected["known_differences"][a].get<std::string>().c_str());
        const std::string dir = a.empty() ? test::modelFixture(model.toStdString()) : test::adapterFixture(a);
        Generator generator(a.empty() ? test::generatorConfig(dir)
                                      : test::generatorConfig(test::baseOfAdapter(a), dir));
        const auto ids = test::referenceTensor(dir, "input_ids");
        GenerationOptions options;
        options.maxNewTokens = expected["max_new_tokens"].get<std::int64_t>();
        for (std::int64_t row = 0; row < ids.size(0); ++row) {
            for (const bool cache : {true, false}) {
                options.useKvCache = cache;
                options.stopOnEos = true;
                const auto untilEos = generator.generate(test::idsOfRow(ids, row), options).ids;
                QCOMPARE(untilEos, entry["generate"][row].get<std::vector<std::int32_t>>());
                options.stopOnEos = false;
                const auto all = generator.generate(test::idsOfRow(ids, row), options).ids;
                QCOMPARE(all, entry["loop"][row].get<std::vector<std::int32_t>>());
            }
        }
    }

    // The prefill logits equal the fixture's last row (1e-4), with and without an adapter.
    void prefillLogitsMatchReference_data() { cacheEqualsRecomputation_data(); }
    void prefillLogitsMatchReference() {
        QFETCH(QString, model);
        QFETCH(QString, adapter);
        const std::string a = adapter.toStdString();
        const std::string dir = a.empty() ? test::modelFixture(model.toStdString()) : test::adapterFixture(a);
        auto r = a.empty() ? test::Runner::fromDirs(dir) : test::Runner::fromDirs(test::baseOfAdapter(a), dir);
        const auto ids = test::referenceTensor(dir, "input_ids");
        const auto logits = test::referenceTensor(dir, "logits");
        const auto run = greedy(r, test::idsOfRow(ids, 1), true, 1);
        QVERIFY(test::maxAbsDiff(run.logits[0], logits[1][logits.size(1) - 1]) <= 1e-4);
    }

    void stopIdsEndGeneration_data() {
        QTest::addColumn<bool>("endOfTurn");
        QTest::newRow("eos id") << false;
        QTest::newRow("end-of-turn id") << true;
    }
    void stopIdsEndGeneration() {
        QFETCH(bool, endOfTurn);
        auto r = test::Runner::fromDirs(test::modelFixture("tiny-llama"));
        const std::vector<std::int32_t> prompt{1, 50, 60, 70};
        const auto free = greedy(r, prompt, true, 12).outcome.ids;
        const std::int32_t stopId = free[5];
        gen::DecodeSettings s;
        s.maxNewTokens = 12;
        (endOfTurn ? s.endOfTurnIds : s.eosIds) = {stopId};
        const auto out = gen::decodeTokens(*r.source, prompt, s);
        const auto firstHit = std::find(free.begin(), free.end(), stopId) - free.begin();
        QCOMPARE(out.ids, std::vector<std::int32_t>(free.begin(), free.begin() + firstHit + 1));
        QCOMPARE(out.stop, endOfTurn ? GenerationStop::EndOfTurn : GenerationStop::Eos);
    }

    // GPT-2's learned positions end at n_positions (128 in the fixture): the token drawn from
    // the last position is the last one. Prefix tuning's 5 virtual tokens take positions too.
    void contextFullStopsAtTheLastPosition_data() {
        QTest::addColumn<QString>("adapter");
        QTest::addColumn<int>("expectedTokens");
        QTest::newRow("tiny-gpt2") << QString() << 9;
        QTest::newRow("tiny-gpt2 + prefix tuning") << QStringLiteral("prefix-tuning") << 4;
    }
    void contextFullStopsAtTheLastPosition() {
        QFETCH(QString, adapter);
        QFETCH(int, expectedTokens);
        auto r = test::Runner::fromDirs(test::modelFixture("tiny-gpt2"),
                                        adapter.isEmpty() ? "" : test::adapterFixture(adapter.toStdString()));
        const std::vector<std::int32_t> prompt(120, 7);
        for (const bool cache : {true, false}) {
            const auto run = greedy(r, prompt, cache, 50);
            QCOMPARE(static_cast<int>(run.outcome.ids.size()), expectedTokens);
            QCOMPARE(run.outcome.stop, GenerationStop::ContextFull);
        }
        QVERIFY(!test::errorOf([&] { greedy(r, std::vector<std::int32_t>(130, 7), true, 5); }).empty());
    }

    void cancelStopsBetweenTokens() {
        Generator generator(test::generatorConfig(test::modelFixture("tiny-mistral")));
        GenerationOptions options;
        options.maxNewTokens = 50;
        options.stopOnEos = false;
        std::atomic<bool> stop{false};
        int calls = 0;
        const auto result = generator.generate(
            {1, 2, 3}, options, [&](std::int32_t, const std::string&) { stop = ++calls == 3; }, &stop);
        QCOMPARE(result.ids.size(), std::size_t(4)); // the flag is seen after the 4th token
        QCOMPARE(result.stop, GenerationStop::Cancelled);
        stop = true;
        const auto none = generator.generate({1, 2, 3}, options, {}, &stop);
        QVERIFY(none.ids.empty());
        QCOMPARE(none.stop, GenerationStop::Cancelled);
    }

    void samplingIsDeterministicForASeed() {
        Generator generator(
            test::generatorConfig(test::modelFixture("tiny-llama"), test::adapterFixture("lora-r8-all")));
        GenerationOptions options;
        options.maxNewTokens = 24;
        options.stopOnEos = false;
        options.sampling.temperature = 1.5;
        options.sampling.topP = 0.95;
        options.sampling.seed = 42;
        const auto a = generator.generate({1, 5, 9}, options).ids;
        const auto b = generator.generate({1, 5, 9}, options).ids;
        QCOMPARE(a, b);
        options.useKvCache = false;
        QCOMPARE(generator.generate({1, 5, 9}, options).ids, a);
        options.useKvCache = true;
        options.sampling.seed = 43;
        QVERIFY(generator.generate({1, 5, 9}, options).ids != a);
    }

    void topKOneEqualsGreedy() {
        Generator generator(test::generatorConfig(test::modelFixture("tiny-llama-tied")));
        GenerationOptions options;
        options.maxNewTokens = 16;
        options.stopOnEos = false;
        const auto greedyIds = generator.generate({3, 4, 5}, options).ids;
        options.sampling.temperature = 0.8;
        options.sampling.topK = 1;
        options.sampling.seed = 9;
        QCOMPARE(generator.generate({3, 4, 5}, options).ids, greedyIds);
    }

    void badPromptsAreErrors() {
        Generator generator(test::generatorConfig(test::modelFixture("tiny-llama")));
        GenerationOptions options;
        QVERIFY(test::errorOf([&] { generator.generate({}, options); }).find("at least one") != std::string::npos);
        QVERIFY(test::errorOf([&] { generator.generate({1, 1000}, options); }).find("1000") != std::string::npos);
        QVERIFY(test::errorOf([&] { generator.generateText("hi", options); }).find("tokenizer") != std::string::npos);
        options.stopStrings = {"x"};
        QVERIFY(test::errorOf([&] { generator.generate({1}, options); }).find("tokenizer") != std::string::npos);
        options.stopStrings.clear();
        options.maxNewTokens = 0;
        QVERIFY(generator.generate({1, 2}, options).ids.empty());
    }

    void eosIdsComeFromTheConfigs() {
        Generator gpt2(test::generatorConfig(test::modelFixture("tiny-gpt2")));
        QCOMPARE(gpt2.eosIds(), std::vector<std::int32_t>{999});
        Generator llama(test::generatorConfig(test::modelFixture("tiny-llama")));
        QCOMPARE(llama.eosIds(), std::vector<std::int32_t>{2});
    }
};

QTEST_APPLESS_MAIN(TstGenerateFixtures)
#include "tst_generate_fixtures.moc"
