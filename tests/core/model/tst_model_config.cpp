// config.json parsing (types, defaults, errors naming the file and key), and `inspect`
// (C++ API and CLI JSON) on every model fixture.
#include "model_test_util.h"

#include "model/model_config.h"
#include "ps/error.h"
#include "ps/model_info.h"
#include "util/file_util.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

namespace {

// A folder with the tiny-llama weights and a config.json where `key` is set to `value`
// (raw JSON text; "<absent>" removes it).
std::string folderWithConfig(const QTemporaryDir& tmp, const std::string& base, const std::string& key,
                             const std::string& value) {
    Json j = parseJsonFile(test::modelFixture(base) + "/config.json");
    if (value == "<absent>")
        j.erase(key);
    else
        j[key] = Json::parse(value);
    const std::string dir = tmp.path().toStdString();
    writeFileAtomic(dir + "/config.json", j.dump(2));
    return dir;
}

} // namespace

class TestModelConfig final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fixturesParse() {
        const auto llama = model::loadModelConfig(test::modelFixture("tiny-llama"));
        QCOMPARE(llama.family, model::Family::Llama);
        QCOMPARE(llama.numKvHeads, std::int64_t(2));
        QCOMPARE(llama.headDim, std::int64_t(16));
        QCOMPARE(llama.tieWordEmbeddings, false);
        QCOMPARE(llama.slidingWindow, std::int64_t(0));
        const auto gpt2 = model::loadModelConfig(test::modelFixture("tiny-gpt2"));
        QCOMPARE(gpt2.family, model::Family::Gpt2);
        QCOMPARE(gpt2.intermediateSize, std::int64_t(256)); // n_inner null -> 4 * n_embd
        QCOMPARE(gpt2.activation, model::Activation::GeluTanh);
        QCOMPARE(gpt2.tieWordEmbeddings, true);
        QCOMPARE(gpt2.maxPositionEmbeddings, std::int64_t(128));
        const auto mistral = model::loadModelConfig(test::modelFixture("tiny-mistral"));
        QCOMPARE(mistral.slidingWindow, std::int64_t(4096));
        QCOMPARE(mistral.headDim, std::int64_t(8));
    }

    void familyOptions() {
        const auto qwen =
            model::parseModelConfig(Json::parse(R"({"model_type":"qwen2","hidden_size":64,"num_attention_heads":4,
            "num_key_value_heads":2,"use_sliding_window":true,"sliding_window":16,"max_window_layers":1,"num_hidden_layers":2})"),
                                    "config.json");
        QVERIFY(qwen.qkvBias);
        QVERIFY(!qwen.oBias);
        QVERIFY(!qwen.layerUsesSlidingWindow(0));
        QVERIFY(qwen.layerUsesSlidingWindow(1));
        const auto llama = model::parseModelConfig(
            Json::parse(
                R"({"model_type":"llama","attention_bias":true,"mlp_bias":true,"head_dim":32,"hidden_act":"gelu",
                "rope_scaling":{"type":"linear","factor":2}})"),
            "config.json");
        QVERIFY(llama.qkvBias && llama.oBias && llama.mlpBias);
        QCOMPARE(llama.headDim, std::int64_t(32));
        QCOMPARE(llama.activation, model::Activation::Gelu);
        QCOMPARE(llama.ropeScaling.type, std::string("linear"));
        QCOMPARE(llama.numKvHeads, llama.numHeads); // default: as many as query heads
    }

    void wrongTypesNameFileAndKey_data() {
        QTest::addColumn<QString>("base");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        auto row = [](const char* name, const char* base, const char* key, const char* value, const char* expected) {
            QTest::newRow(name) << QString::fromUtf8(base) << QString::fromUtf8(key) << QString::fromUtf8(value)
                                << QString::fromUtf8(expected);
        };
        row("gpt2 n_layer is a string", "tiny-gpt2", "n_layer", R"("2")",
            "key 'n_layer' must be an integer, found string");
        row("gpt2 n_embd is fractional", "tiny-gpt2", "n_embd", "64.5", "key 'n_embd' must be an integer");
        row("gpt2 layer_norm_epsilon is a list", "tiny-gpt2", "layer_norm_epsilon", "[1]",
            "key 'layer_norm_epsilon' must be a number, found array");
        row("llama hidden_size is a string", "tiny-llama", "hidden_size", R"("64")",
            "key 'hidden_size' must be an integer, found string");
        row("llama rms_norm_eps is a string", "tiny-llama", "rms_norm_eps", R"("1e-6")",
            "key 'rms_norm_eps' must be a number, found string");
        row("llama tie_word_embeddings is a number", "tiny-llama", "tie_word_embeddings", "1",
            "key 'tie_word_embeddings' must be true or false");
        row("llama rope_scaling is a list", "tiny-llama", "rope_scaling", "[2]",
            "key 'rope_scaling' must be an object or null");
        row("llama rope_scaling factor is a string", "tiny-llama", "rope_scaling", R"({"type":"linear","factor":"2"})",
            "key 'factor' must be a number");
        row("llama heads not a multiple of kv heads", "tiny-llama", "num_key_value_heads", "3",
            "must be a multiple of num_key_value_heads (3)");
        row("llama negative layer count", "tiny-llama", "num_hidden_layers", "-1",
            "key 'num_hidden_layers' must be a positive integer");
        row("mistral sliding_window is a string", "tiny-mistral", "sliding_window", R"("4096")",
            "key 'sliding_window' must be an integer");
        row("unknown hidden_act", "tiny-llama", "hidden_act", R"("mish")", "hidden_act 'mish' is not supported");
        row("model_type missing", "tiny-llama", "model_type", "<absent>", "missing key 'model_type'");
        row("model_type is a number", "tiny-llama", "model_type", "7", "key 'model_type' must be a string");
        row("unsupported model_type", "tiny-llama", "model_type", R"("bert")",
            "model_type 'bert' is not supported (supported: gemma, gpt2, llama, "
            "mistral, phi3, qwen2)");
    }
    void wrongTypesNameFileAndKey() {
        QFETCH(QString, base);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const std::string dir = folderWithConfig(tmp, base.toStdString(), key.toStdString(), value.toStdString());
        try {
            model::loadModelConfig(dir);
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(expected), qPrintable(msg));
            QVERIFY2(msg.startsWith(QString::fromStdString(dir + "/config.json")), qPrintable(msg));
        }
        // The CLI reports the same on one line and fails.
        QProcess p;
        p.start(QString::fromUtf8(PS_CLI), {QStringLiteral("inspect"), QString::fromStdString(dir)});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0);
        const QString err = QString::fromUtf8(p.readAllStandardError()).trimmed();
        QVERIFY2(err.contains(expected), qPrintable(err));
        QCOMPARE(err.count(QLatin1Char('\n')), 0);
    }

    void notJsonNamesLine() {
        QTemporaryDir tmp;
        writeFileAtomic(tmp.path().toStdString() + "/config.json", "{\n  \"model_type\": \"llama\",\n  oops\n}");
        try {
            model::loadModelConfig(tmp.path().toStdString());
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("line 3")), e.what());
        }
    }

    void inspectFixtures_data() {
        QTest::addColumn<QString>("fixture");
        for (const QString& name : test::modelFixtureNames())
            QTest::newRow(qPrintable(name)) << name;
    }
    void inspectFixtures() {
        QFETCH(QString, fixture);
        const std::string dir = test::modelFixture(fixture.toStdString());
        const ModelInfo info = inspectModel(dir);
        // num_parameters: distinct parameters of the loaded model (tied weights once).
        auto m = model::loadCausalLM(dir);
        std::int64_t count = 0;
        for (const auto& p : m->parameters())
            count += p.numel();
        QCOMPARE(info.numParameters, count);
        QCOMPARE(info.torchDtype, std::string("float32"));
        QVERIFY(info.sizeOnDiskBytes > static_cast<std::uint64_t>(count) * 4);

        QProcess p;
        p.start(QString::fromUtf8(PS_CLI),
                {QStringLiteral("inspect"), QString::fromStdString(dir), QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const Json j = Json::parse(p.readAllStandardOutput().toStdString());
        for (const char* key : {"model_type", "architecture", "num_parameters", "num_layers", "hidden_size",
                                "intermediate_size", "num_attention_heads", "num_key_value_heads", "vocab_size",
                                "max_position_embeddings", "torch_dtype", "tie_word_embeddings", "linear_modules"})
            QVERIFY2(j.contains(key), key);
        QCOMPARE(j["num_parameters"].get<std::int64_t>(), count);
        QCOMPARE(j["vocab_size"].get<std::int64_t>(), std::int64_t(1000));
        QCOMPARE(j["num_layers"].get<std::int64_t>(), std::int64_t(2));
        if (fixture == QStringLiteral("tiny-gpt2")) {
            QCOMPARE(j["architecture"].get<std::string>(), std::string("GPT2LMHeadModel"));
            QCOMPARE(j["linear_modules"].get<std::vector<std::string>>(),
                     (std::vector<std::string>{"c_attn", "c_proj", "c_fc"}));
            QCOMPARE(j["tie_word_embeddings"].get<bool>(), true);
        } else {
            QCOMPARE(j["linear_modules"].get<std::vector<std::string>>(),
                     (std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                               "down_proj"}));
        }
        if (fixture == QStringLiteral("tiny-mistral"))
            QCOMPARE(j["num_key_value_heads"].get<std::int64_t>(), std::int64_t(2));
    }

    void supportedTypes() {
        QCOMPARE(supportedModelTypes(),
                 (std::vector<std::string>{"gemma", "gpt2", "llama", "mistral", "phi3", "qwen2"}));
    }
};

QTEST_APPLESS_MAIN(TestModelConfig)
#include "tst_model_config.moc"
