// RunConfig: defaults, the key table, exact YAML round trips, --set overrides, error messages
// that name the file line / override and suggest the closest key, and "Copy as CLI command".
#include "ps/error.h"
#include "ps/run_config.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>

using namespace ps;

namespace {

// The message of the ps::Error `f` throws, or "" when it does not throw.
template <typename F> QString errorOf(F f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

RunConfig unusualConfig() {
    RunConfig c;
    c.model_name_or_path = "/models/my model/SmolLM2-135M";
    c.dataset = "data: train #1.jsonl";
    c.dataset_format = "alpaca";
    c.template_ = "null"; // a string that YAML would read as null unless quoted
    c.finetuning_type = "dora";
    c.lora_rank = 16;
    c.lora_alpha = 24.5;
    c.lora_dropout = 0.05;
    c.lora_target = "q_proj,v_proj";
    c.num_virtual_tokens = 7;
    c.optimizer = "sgd";
    c.learning_rate = 3e-4;
    c.adam_beta1 = 0.85;
    c.adam_beta2 = 0.98;
    c.adam_epsilon = 1e-6;
    c.sgd_momentum = 0.9;
    c.weight_decay = 0.01;
    c.max_grad_norm = 0.3;
    c.num_train_epochs = 1.0 / 3.0;
    c.max_steps = 1000;
    c.per_device_train_batch_size = 4;
    c.gradient_accumulation_steps = 2;
    c.lr_scheduler_type = "linear";
    c.warmup_ratio = 0.03;
    c.warmup_steps = 5;
    c.cutoff_len = 256;
    c.packing = true;
    c.train_on_prompt = true;
    c.val_size = 0.1;
    c.eval_steps = 25;
    c.save_steps = 100;
    c.logging_steps = 5;
    c.early_stopping_patience = 3;
    c.early_stopping_min_delta = 0.001;
    c.seed = 1234;
    c.bf16 = true;
    c.gradient_checkpointing = true;
    c.full_determinism = true;
    c.output_dir = "";
    c.run_name = "yes"; // would be a boolean unquoted
    return c;
}

// Splits a POSIX shell command line the way sh does for quotes (enough for our output).
QStringList shellWords(const std::string& line) {
    QStringList words;
    QString cur;
    bool inWord = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == '\'') {
            inWord = true;
            const auto close = line.find('\'', i + 1);
            cur += QString::fromStdString(line.substr(i + 1, close - i - 1));
            i = close;
        } else if (c == '\\' && i + 1 < line.size()) {
            inWord = true;
            cur += QChar::fromLatin1(line[++i]);
        } else if (c == ' ') {
            if (inWord)
                words << cur;
            cur.clear();
            inWord = false;
        } else {
            inWord = true;
            cur += QChar::fromLatin1(c);
        }
    }
    if (inWord)
        words << cur;
    return words;
}

std::string writeTemp(const QTemporaryDir& dir, const std::string& text) {
    const std::string path = dir.filePath(QStringLiteral("config.yaml")).toStdString();
    writeFileAtomic(path, text);
    return path;
}

} // namespace

class TestRunConfig final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultsAreValidExceptTheRequiredInputs() {
        const RunConfig c;
        QVERIFY(runConfigProblems(c, false).empty());
        const auto problems = runConfigProblems(c, true);
        QCOMPARE(problems.size(), std::size_t(2));
        QCOMPARE(problems[0].key, std::string("model_name_or_path"));
        QCOMPARE(problems[1].key, std::string("dataset"));
        QCOMPARE(c.effectiveLoraAlpha(), 16.0);            // LLaMA-Factory: 2 x rank
        QCOMPARE(c.effectiveEvalSteps(), c.logging_steps); // transformers: eval_steps defaults to logging_steps
    }

    void everyKeyOfTheCliContractExists() {
        for (const char* key : {"model_name_or_path",
                                "dataset",
                                "dataset_format",
                                "template",
                                "finetuning_type",
                                "lora_rank",
                                "lora_alpha",
                                "lora_dropout",
                                "lora_target",
                                "num_virtual_tokens",
                                "learning_rate",
                                "num_train_epochs",
                                "max_steps",
                                "per_device_train_batch_size",
                                "gradient_accumulation_steps",
                                "lr_scheduler_type",
                                "warmup_ratio",
                                "warmup_steps",
                                "weight_decay",
                                "max_grad_norm",
                                "cutoff_len",
                                "packing",
                                "val_size",
                                "eval_steps",
                                "save_steps",
                                "logging_steps",
                                "early_stopping_patience",
                                "early_stopping_min_delta",
                                "seed",
                                "bf16",
                                "fp16",
                                "gradient_checkpointing",
                                "full_determinism",
                                "output_dir",
                                "optimizer",
                                "adam_beta1",
                                "adam_beta2",
                                "adam_epsilon",
                                "run_name",
                                "train_on_prompt"})
            QVERIFY2(findRunConfigKey(key), key);
        const auto* method = findRunConfigKey("finetuning_type");
        QCOMPARE(method->choices, (std::vector<std::string>{"lora", "dora", "rslora", "ia3", "loha", "lokr", "prompt",
                                                            "prefix", "full"}));
    }

    void yamlRoundTripIsExact() {
        const RunConfig c = unusualConfig();
        const std::string yaml = runConfigToYaml(c);
        const RunConfig back = parseRunConfigYaml(yaml, "saved.yaml");
        QVERIFY2(back == c, yaml.c_str());
        QCOMPARE(runConfigToYaml(back), yaml);
        QVERIFY(parseRunConfigYaml(runConfigToYaml(RunConfig{}), "defaults.yaml") == RunConfig{});
        // Strings that YAML would read as something else are quoted.
        QVERIFY(yaml.find("template: \"null\"") != std::string::npos);
        QVERIFY(yaml.find("run_name: \"yes\"") != std::string::npos);
        QVERIFY(yaml.find("output_dir: \"\"") != std::string::npos);
    }

    void numbersRoundTripBitForBit_data() {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("text");
        QTest::newRow("one tenth") << 0.1 << "0.1";
        QTest::newRow("typical lora lr") << 2e-4 << "0.0002";
        QTest::newRow("negative") << -1.5 << "-1.5";
        QTest::newRow("large integral") << 123456789.0 << "123456789.0";
        QTest::newRow("1e16 switches to scientific as Python") << 1e16 << "1.0e+16";
        QTest::newRow("zero") << 0.0 << "0.0";
        QTest::newRow("small lr keeps a dot for PyYAML") << 5e-5 << "5.0e-05";
        QTest::newRow("integral float") << 3.0 << "3.0";
        QTest::newRow("one third") << 1.0 / 3.0 << "0.3333333333333333";
        QTest::newRow("adam epsilon") << 1e-8 << "1.0e-08";
        QTest::newRow("huge") << 1e300 << "1.0e+300";
        QTest::newRow("denormal") << 5e-324 << "5.0e-324";
    }
    void numbersRoundTripBitForBit() {
        QFETCH(double, value);
        QFETCH(QString, text);
        RunConfig c;
        c.learning_rate = value;
        const std::string written = runConfigValue(c, "learning_rate");
        QCOMPARE(QString::fromStdString(written), text);
        RunConfig back;
        setRunConfigValue(back, "learning_rate", written, "test");
        QVERIFY(std::memcmp(&back.learning_rate, &value, sizeof value) == 0);
    }

    // The line of every key, as the GUI uses it to point at a problem. The key nodes are read
    // after the statement that took them from the YAML iterator: that once read a dead
    // temporary (ASan stack-use-after-scope under PS_SANITIZE, found by tests/fuzz/fuzz_run_config).
    void keyLinesAreTheLinesOfTheKeys() {
        std::map<std::string, int> lines;
        const RunConfig c = parseRunConfigYaml("# comment\n\nseed: 7\nlora_rank: 4\n\n\nlearning_rate: 0.5\n",
                                               "lines.yaml", &lines);
        QCOMPARE(c.seed, std::int64_t(7));
        QCOMPARE(c.lora_rank, std::int64_t(4));
        QCOMPARE(c.learning_rate, 0.5);
        const std::map<std::string, int> expected{{"seed", 3}, {"lora_rank", 4}, {"learning_rate", 7}};
        QVERIFY(lines == expected);
    }

    void readsLlamaFactoryStyleYaml() {
        const RunConfig c = parseRunConfigYaml("### model\n"
                                               "model_name_or_path: /m/Qwen2.5-0.5B\n"
                                               "finetuning_type: lora\n"
                                               "lora_target: all\n"
                                               "lora_rank: 16\n"
                                               "learning_rate: 1.0e-4\n"
                                               "num_train_epochs: 3.0\n"
                                               "lr_scheduler_type: cosine\n"
                                               "warmup_ratio: 0.1\n"
                                               "bf16: true\n"
                                               "lora_alpha:\n"
                                               "template: ~\n",
                                               "llama-factory.yaml");
        QCOMPARE(c.model_name_or_path, std::string("/m/Qwen2.5-0.5B"));
        QCOMPARE(c.lora_rank, std::int64_t(16));
        QCOMPARE(c.learning_rate, 1.0e-4);
        QCOMPARE(c.bf16, true);
        QCOMPARE(c.lora_alpha, 0.0);            // null = default
        QCOMPARE(c.effectiveLoraAlpha(), 32.0); // 2 x rank
        QCOMPARE(c.template_, std::string("auto"));
        const RunConfig list = parseRunConfigYaml("lora_target: [q_proj, v_proj]\n", "list.yaml");
        QCOMPARE(list.lora_target, std::string("q_proj,v_proj"));
        QVERIFY(parseRunConfigYaml("", "empty.yaml") == RunConfig{});
        QVERIFY(parseRunConfigYaml("# only a comment\n", "comment.yaml") == RunConfig{});
    }

    void yamlErrorsNameTheLine_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("expected");
        QTest::newRow("misspelt key suggests the closest")
            << "model_name_or_path: /m\ndataset: d.jsonl\nlora_rank: 8\nlearning_rat: 1e-4\n"
            << "config.yaml line 4: unknown key 'learning_rat' (did you mean 'learning_rate'?)";
        QTest::newRow("transposed letters")
            << "leanring_rate: 1e-4\n"
            << "config.yaml line 1: unknown key 'leanring_rate' (did you mean 'learning_rate'?)";
        QTest::newRow("a name from another tool")
            << "\nlr: 0.001\n"
            << "config.yaml line 2: unknown key 'lr' (did you mean 'learning_rate'?)";
        QTest::newRow("a missing word")
            << "per_device_batch_size: 4\n"
            << "unknown key 'per_device_batch_size' (did you mean 'per_device_train_batch_size'?)";
        QTest::newRow("nothing close") << "stage: sft\n"
                                       << "config.yaml line 1: unknown key 'stage'";
        QTest::newRow("float for an integer") << "seed: 1\nlora_rank: 8.5\n"
                                              << "config.yaml line 2: lora_rank must be an integer, got '8.5'";
        QTest::newRow("text for a number") << "learning_rate: fast\n"
                                           << "config.yaml line 1: learning_rate must be a number, got 'fast'";
        QTest::newRow("text for a boolean") << "packing: maybe\n"
                                            << "config.yaml line 1: packing must be true or false, got 'maybe'";
        QTest::newRow("unknown method suggests one") << "finetuning_type: lorra\n"
                                                     << "config.yaml line 1: finetuning_type must be one of lora, "
                                                        "dora, rslora, ia3, loha, lokr, prompt, prefix, "
                                                        "full, got 'lorra' (did you mean 'lora'?)";
        QTest::newRow("list for a number") << "learning_rate: [1, 2]\n"
                                           << "config.yaml line 1: learning_rate must be a single value, found a list";
        QTest::newRow("key given twice") << "seed: 1\nseed: 2\n"
                                         << "config.yaml line 2: key 'seed' given twice (first on line 1)";
        QTest::newRow("broken yaml") << "seed: [1, 2\n"
                                     << "invalid YAML";
        QTest::newRow("not a mapping") << "- seed\n- lr\n"
                                       << "config.yaml: expected 'key: value' lines, found a list";
    }
    void yamlErrorsNameTheLine() {
        QFETCH(QString, yaml);
        QFETCH(QString, expected);
        const QString error = errorOf([&] { parseRunConfigYaml(yaml.toStdString(), "config.yaml"); });
        QVERIFY2(error.contains(expected), qPrintable(error));
        if (!expected.contains(QStringLiteral("did you mean")))
            QVERIFY2(!error.contains(QStringLiteral("did you mean")), qPrintable(error));
    }

    // A string value that is not UTF-8 is refused: YAML cannot hold it, so the saved config.yaml
    // would name another file (the bytes came back as U+FFFD; found by tests/fuzz/fuzz_run_config).
    // Non-ASCII UTF-8 round-trips exactly.
    void invalidUtf8IsRefused() {
        const std::string bad = "seed: 1\ndataset: \"data/tr\x92\xaain.jsonl\"\n";
        const QString error = errorOf([&] { parseRunConfigYaml(bad, "config.yaml"); });
        QVERIFY2(error.contains(QStringLiteral("config.yaml line 2: dataset is not valid UTF-8 text")), qPrintable(error));
        RunConfig c;
        const QString overrideError = errorOf([&] { applyRunConfigOverride(c, "output_dir=/runs/\xc3("); });
        QVERIFY2(overrideError.contains(QStringLiteral("output_dir is not valid UTF-8 text")), qPrintable(overrideError));
        const RunConfig good = parseRunConfigYaml("dataset: \"donn\xc3\xa9" "es/\xe6\x95\xb0\xe6\x8d\xae \xf0\x9f\x98\x80.jsonl\"\n",
                                                  "utf8.yaml");
        QCOMPARE(good.dataset, std::string("donn\xc3\xa9" "es/\xe6\x95\xb0\xe6\x8d\xae \xf0\x9f\x98\x80.jsonl"));
        QVERIFY(parseRunConfigYaml(runConfigToYaml(good), "again.yaml") == good);
    }

    void rangeErrorsNameTheLineOrTheOverride_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QStringList>("overrides");
        QTest::addColumn<QString>("expected");
        const QString base = QStringLiteral("model_name_or_path: /m\ndataset: d.jsonl\n");
        QTest::newRow("negative learning rate") << base + QLatin1String("learning_rate: -1\n") << QStringList{}
                                                << "line 3: learning_rate must be > 0, got -1.0";
        QTest::newRow("rank zero") << base + QLatin1String("seed: 3\nlora_rank: 0\n") << QStringList{}
                                   << "line 4: lora_rank must be >= 1, got 0";
        QTest::newRow("dropout of one") << base + QLatin1String("lora_dropout: 1\n") << QStringList{}
                                        << "line 3: lora_dropout must be in [0, 1), got 1.0";
        QTest::newRow("max_steps zero") << base + QLatin1String("max_steps: 0\n") << QStringList{}
                                        << "max_steps must be -1 (use num_train_epochs) or >= 1, got 0";
        QTest::newRow("both half precisions") << base + QLatin1String("bf16: true\nfp16: true\n") << QStringList{}
                                              << "line 4: bf16 and fp16 cannot both be true";
        QTest::newRow("early stopping without validation")
            << base + QLatin1String("early_stopping_patience: 2\n") << QStringList{}
            << "line 3: early_stopping_patience needs a validation split (set val_size > 0)";
        QTest::newRow("fractional validation count")
            << base + QLatin1String("val_size: 1.5\n") << QStringList{}
            << "val_size must be a fraction below 1 or a whole number of examples";
        QTest::newRow("missing model") << QStringLiteral("dataset: d.jsonl\n") << QStringList{}
                                       << "config.yaml: model_name_or_path is required";
        QTest::newRow("bad override value") << base << QStringList{QStringLiteral("learning_rate=-0.5")}
                                            << "--set learning_rate=-0.5: learning_rate must be > 0, got -0.5";
        QTest::newRow("override of the wrong type") << base << QStringList{QStringLiteral("lora_rank=abc")}
                                                    << "--set lora_rank=abc: lora_rank must be an integer, got 'abc'";
        QTest::newRow("misspelt override")
            << base << QStringList{QStringLiteral("learnin_rate=1e-4")}
            << "--set learnin_rate=1e-4: unknown key 'learnin_rate' (did you mean 'learning_rate'?)";
        QTest::newRow("override without =")
            << base << QStringList{QStringLiteral("packing")} << "--set packing: expected key=value";
        QTest::newRow("several problems are counted")
            << base + QLatin1String("learning_rate: 0\nlora_rank: 0\ncutoff_len: 1\n") << QStringList{}
            << "(and 2 more problems)";
    }
    void rangeErrorsNameTheLineOrTheOverride() {
        QFETCH(QString, yaml);
        QFETCH(QStringList, overrides);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const std::string path = writeTemp(dir, yaml.toStdString());
        std::vector<std::string> sets;
        for (const auto& o : overrides)
            sets.push_back(o.toStdString());
        const QString error = errorOf([&] { loadRunConfig(path, sets); });
        QVERIFY2(error.contains(expected), qPrintable(error));
        if (overrides.isEmpty() && expected.startsWith(QStringLiteral("line")))
            QVERIFY2(error.startsWith(QString::fromStdString(path + " line")), qPrintable(error));
    }

    void overridesApplyAfterTheFile() {
        QTemporaryDir dir;
        const std::string path =
            writeTemp(dir, "model_name_or_path: /m\ndataset: d.jsonl\nlearning_rate: 1e-3\nbf16: true\n");
        const RunConfig c = loadRunConfig(
            path, {"learning_rate=2e-4", "bf16=false", "lora_target=q_proj, v_proj", "run_name=a=b", "lora_rank="});
        QCOMPARE(c.learning_rate, 2e-4);
        QCOMPARE(c.bf16, false);
        QCOMPARE(c.lora_target, std::string("q_proj, v_proj"));
        QCOMPARE(c.run_name, std::string("a=b")); // only the first '=' separates
        QCOMPARE(c.lora_rank, std::int64_t(8));   // empty = default
    }

    void saveAndLoadThroughAFile() {
        QTemporaryDir dir;
        RunConfig c = unusualConfig();
        c.early_stopping_patience = 0;
        const std::string path = dir.filePath(QStringLiteral("sub/config.yaml")).toStdString();
        saveRunConfig(c, path);
        QVERIFY(loadRunConfig(path) == c);
    }

    void commandLineReproducesTheConfig() {
        RunConfig c = unusualConfig();
        c.dataset = "it's here.jsonl";
        const std::string line = runConfigCommandLine(c);
        QVERIFY2(line.rfind("peft-studio-cli train --set ", 0) == 0, line.c_str());
        QVERIFY2(line.find("'model_name_or_path=/models/my model/SmolLM2-135M'") != std::string::npos, line.c_str());
        QVERIFY2(line.find("--set learning_rate=0.0003") != std::string::npos, line.c_str());
        QVERIFY2(line.find("max_grad_norm") != std::string::npos, line.c_str());
        QVERIFY2(line.find("output_dir") == std::string::npos, line.c_str()); // default: left out

        const QStringList words = shellWords(line);
        RunConfig back;
        for (int i = 2; i < words.size(); i += 2) {
            QCOMPARE(words[i], QStringLiteral("--set"));
            applyRunConfigOverride(back, words[i + 1].toStdString());
        }
        QVERIFY2(back == c, line.c_str());

        const std::string all = runConfigCommandLine(RunConfig{}, true);
        QCOMPARE(shellWords(all).size(), 2 + 2 * static_cast<int>(runConfigKeys().size()));
        QCOMPARE(runConfigCommandLine(RunConfig{}), std::string("peft-studio-cli train"));
        RunConfig win;
        win.model_name_or_path = "C:\\my models\\qwen";
        QCOMPARE(runConfigCommandLine(win, false, true, "peft-studio-cli.exe"),
                 std::string("peft-studio-cli.exe train --set \"model_name_or_path=C:\\my models\\qwen\""));
    }

    void warmupStepsRoundUpAsTransformers_data() {
        QTest::addColumn<qint64>("total");
        QTest::addColumn<double>("ratio");
        QTest::addColumn<qint64>("steps");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("ratio of 95 rounds 9.5 up") << qint64(95) << 0.1 << qint64(0) << qint64(10);
        QTest::newRow("100 x 0.07 is 7.000000000000001, so 8") << qint64(100) << 0.07 << qint64(0) << qint64(8);
        QTest::newRow("explicit steps win") << qint64(100) << 0.5 << qint64(7) << qint64(7);
        QTest::newRow("no warm-up") << qint64(100) << 0.0 << qint64(0) << qint64(0);
    }
    void warmupStepsRoundUpAsTransformers() {
        QFETCH(qint64, total);
        QFETCH(double, ratio);
        QFETCH(qint64, steps);
        QFETCH(qint64, expected);
        RunConfig c;
        c.warmup_ratio = ratio;
        c.warmup_steps = steps;
        QCOMPARE(c.effectiveWarmupSteps(total), std::int64_t(expected));
    }

    void closestKeyNeedsToBeClose() {
        QCOMPARE(closestRunConfigKey("lora_rnak"), std::string("lora_rank"));
        QCOMPARE(closestRunConfigKey("SEED"), std::string("seed"));
        QCOMPARE(closestRunConfigKey("target_modules"), std::string("lora_target"));
        QCOMPARE(closestRunConfigKey("deepspeed"), std::string());
        QCOMPARE(closestRunConfigKey("x"), std::string());
    }
};

QTEST_APPLESS_MAIN(TestRunConfig)
#include "tst_run_config.moc"
