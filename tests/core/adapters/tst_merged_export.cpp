// Merged export: base + adapter folded into a standalone HF model folder that our loader (and
// transformers) loads, giving the forward-with-adapter logits; sharded above a size threshold.
#include "adapter_test_util.h"

#include "ps/adapter.h"
#include "ps/inference.h"

#include <QProcess>

#include <filesystem>
#include <map>

using namespace ps;
using namespace ps::testing;

class TestMergedExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exportedModelGivesAdapterLogits_data();
    void exportedModelGivesAdapterLogits();
    void shardedExportLoads();
    void tiedModelWithTrainedEmbeddingIsUntied();
    void bf16Export();
    void existingFolderNeedsOverwrite();
    void inferenceHookRunsEveryMethod_data();
    void inferenceHookRunsEveryMethod();
    void cliExport();
};

namespace {

void addMergeableFixtures() {
    QTest::addColumn<QString>("fixture");
    for (const char* f : {"lora-r4-qv", "lora-r8-all", "lora-gpt2", "ia3", "ia3-gpt2", "loha", "lokr", "lora-bias-all",
                          "lora-modules-to-save"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

void TestMergedExport::exportedModelGivesAdapterLogits_data() {
    addMergeableFixtures();
}

void TestMergedExport::exportedModelGivesAdapterLogits() {
    QFETCH(QString, fixture);
    const std::string dir = adapterFixture(fixture.toStdString());
    const std::string base = baseOfAdapterFixture(fixture.toStdString());
    TempDir tmp;
    const std::string out = tmp.sub("merged");
    const auto report = exportMerged(dir, base, out, DType::F32);
    QCOMPARE(report.numShards, std::int64_t(1));
    QCOMPARE(filesIn(out), (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors"}));
    QCOMPARE(report.files, filesIn(out));
    QCOMPARE(SafetensorsFile::open(out + "/model.safetensors")->metadata().at("format"), std::string("pt"));

    const auto ids = referenceTensor(dir, "input_ids");
    auto merged = loadFloatModel(out);
    const auto mergedLogits = logitsOf(merged, ids);
    QVERIFY(maxAbsDiff(mergedLogits, referenceTensor(dir, "merged_logits")) <= 1e-4);
    auto pm = adapters::PeftModel::load(dir, loadFloatModel(base));
    QVERIFY(maxAbsDiff(mergedLogits, logitsOf(*pm, ids)) <= 1e-4);
    // The exported model folder is a base like any other: same tensor names as the original.
    const auto baseNames = SafetensorsCheckpoint::open(base)->names();
    QCOMPARE(SafetensorsCheckpoint::open(out)->names(), baseNames);
}

void TestMergedExport::shardedExportLoads() {
    // tiny-llama is 220480 float32 parameters (~882 kB). With a 100 kB threshold: the embedding
    // and the head (256 kB each) get a shard of their own, each layer (~185 kB) needs two or more.
    const std::string dir = adapterFixture("lora-r4-qv");
    const std::string base = baseOfAdapterFixture("lora-r4-qv");
    TempDir tmp;
    const std::string out = tmp.sub("sharded");
    MergedExportOptions options;
    options.maxShardBytes = 100'000;
    const auto report = exportMerged(dir, base, out, DType::F32, options);
    QVERIFY(report.numShards >= 5);
    QCOMPARE(report.weightBytes, std::uint64_t(220480) * 4);
    QVERIFY(isRegularFile(out + "/model.safetensors.index.json"));
    QVERIFY(!isRegularFile(out + "/model.safetensors"));
    const Json index = parseJsonFile(out + "/model.safetensors.index.json");
    QCOMPARE(index["metadata"]["total_size"].get<std::uint64_t>(), report.weightBytes);
    // Model order, as transformers shards: the embedding first, the head last.
    QVERIFY(index["weight_map"]["model.embed_tokens.weight"].get<std::string>().rfind("model-00001-of-", 0) == 0);
    char last[64];
    std::snprintf(last, sizeof last, "model-%05lld-of-%05lld.safetensors", static_cast<long long>(report.numShards),
                  static_cast<long long>(report.numShards));
    QCOMPARE(index["weight_map"]["lm_head.weight"].get<std::string>(), std::string(last));
    // A shard only exceeds the threshold when it holds a single larger tensor.
    std::map<std::string, int> tensorsPerShard;
    for (const auto& [name, file] : index["weight_map"].items())
        ++tensorsPerShard[file.get<std::string>()];
    for (const auto& [file, count] : tensorsPerShard)
        QVERIFY(count == 1 || fileSize(out + "/" + file) <= 100'000 + 8192);
    for (std::int64_t i = 1; i <= report.numShards; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "model-%05lld-of-%05lld.safetensors", static_cast<long long>(i),
                      static_cast<long long>(report.numShards));
        QVERIFY2(isRegularFile(out + "/" + name), name);
    }
    auto merged = loadFloatModel(out);
    const auto ids = referenceTensor(dir, "input_ids");
    QVERIFY(maxAbsDiff(logitsOf(merged, ids), referenceTensor(dir, "merged_logits")) <= 1e-4);
}

void TestMergedExport::tiedModelWithTrainedEmbeddingIsUntied() {
    // On a tied model, a trained embedding copy (modules_to_save) changes the input side only:
    // the merged model must carry its own lm_head.weight and say it is untied.
    const std::string base = modelFixture("tiny-llama-tied");
    AdapterSpec spec;
    spec.r = 4;
    spec.modulesToSave = {"embed_tokens"};
    adapters::PeftModel pm(loadFloatModel(base), spec, 11);
    {
        torch::NoGradGuard noGrad;
        for (const auto& [key, t] : pm.tensors())
            t.add_(torch::randn_like(t) * 0.1);
    }
    pm.train(false);
    TempDir tmp;
    pm.save(tmp.sub("adapter"), base);
    const auto ids = torch::randint(0, 1000, {2, 7}, torch::kInt64);
    const auto expected = logitsOf(pm, ids);
    exportMerged(tmp.sub("adapter"), base, tmp.sub("merged"), DType::F32);
    const Json config = parseJsonFile(tmp.sub("merged/config.json"));
    QCOMPARE(config["tie_word_embeddings"].get<bool>(), false);
    QVERIFY(SafetensorsCheckpoint::open(tmp.sub("merged"))->find("lm_head.weight") != nullptr);
    auto merged = loadFloatModel(tmp.sub("merged"));
    QVERIFY(maxAbsDiff(logitsOf(merged, ids), expected) <= 1e-4);
}

void TestMergedExport::bf16Export() {
    const std::string dir = adapterFixture("lora-gpt2");
    TempDir tmp;
    exportMerged(dir, baseOfAdapterFixture("lora-gpt2"), tmp.sub("m"), DType::BF16);
    QCOMPARE(parseJsonFile(tmp.sub("m/config.json"))["torch_dtype"].get<std::string>(), std::string("bfloat16"));
    // The file stays open for the loop (a temporary's member would be freed before it: ASan).
    const auto file = SafetensorsFile::open(tmp.sub("m/model.safetensors"));
    for (const auto& t : file->tensors())
        QVERIFY2(t.dtype == DType::BF16, t.name.c_str());
    QVERIFY(!errorOf([&] { exportMerged(dir, baseOfAdapterFixture("lora-gpt2"), tmp.sub("x"), DType::I64); }).empty());
}

void TestMergedExport::existingFolderNeedsOverwrite() {
    const std::string dir = adapterFixture("ia3");
    const std::string base = baseOfAdapterFixture("ia3");
    TempDir tmp;
    const std::string out = tmp.sub("m");
    std::filesystem::create_directories(out);
    writeFileAtomic(out + "/keep.txt", "x");
    QVERIFY(errorOf([&] { exportMerged(dir, base, out, DType::F32); }).find("not empty") != std::string::npos);
    QVERIFY(isRegularFile(out + "/keep.txt"));
    MergedExportOptions options;
    options.overwrite = true;
    exportMerged(dir, base, out, DType::F32, options);
    QVERIFY(!isRegularFile(out + "/keep.txt"));
    QVERIFY(isRegularFile(out + "/model.safetensors"));
    // Nothing is left beside the output folder.
    QCOMPARE(filesIn(tmp.path()), std::vector<std::string>{"m"});
}

void TestMergedExport::inferenceHookRunsEveryMethod_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<bool>("merge");
    for (const char* f : {"lora-r4-qv", "lora-r8-all", "lora-gpt2", "ia3", "ia3-gpt2", "loha", "lokr", "prompt-tuning",
                          "prefix-tuning", "lora-bias-all", "lora-modules-to-save"}) {
        QTest::newRow(f) << QString::fromLatin1(f) << false;
        if (std::string(f).find("tuning") == std::string::npos)
            QTest::newRow((std::string(f) + " --merge").c_str()) << QString::fromLatin1(f) << true;
    }
}

void TestMergedExport::inferenceHookRunsEveryMethod() {
    // ps::computeLogits is what `peft-studio-cli forward --adapter DIR [--merge]` runs.
    QFETCH(QString, fixture);
    QFETCH(bool, merge);
    const std::string dir = adapterFixture(fixture.toStdString());
    LogitsRequest request;
    request.modelDir = baseOfAdapterFixture(fixture.toStdString());
    request.adapterDir = dir;
    request.mergeAdapter = merge;
    const auto ids = referenceTensor(dir, "input_ids");
    for (std::int64_t b = 0; b < ids.size(0); ++b) {
        std::vector<std::int64_t> row(ids[b].data_ptr<std::int64_t>(), ids[b].data_ptr<std::int64_t>() + ids.size(1));
        request.rows.push_back(row);
    }
    const Logits logits = computeLogits(request);
    const auto expected = referenceTensor(dir, merge ? "merged_logits" : "logits");
    QCOMPARE((std::vector<std::int64_t>{logits.batch, logits.seq, logits.vocab}), expected.sizes().vec());
    const auto got = torch::from_blob(const_cast<float*>(logits.values.data()),
                                      {logits.batch, logits.seq, logits.vocab}, torch::kFloat32);
    QVERIFY(maxAbsDiff(got, expected) <= 1e-4);
}

void TestMergedExport::cliExport() {
    TempDir tmp;
    const QString adapter = QString::fromStdString(adapterFixture("lora-r4-qv"));
    const QString base = QString::fromStdString(baseOfAdapterFixture("lora-r4-qv"));
    const QString out = QString::fromStdString(tmp.sub("cli-merged"));
    auto run = [](const QStringList& args) {
        QProcess p;
        p.start(QStringLiteral(PS_CLI), args);
        p.waitForFinished(120000);
        return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()));
    };
    auto [rc, err] = run({QStringLiteral("export"), adapter, QStringLiteral("--base"), base, QStringLiteral("--format"),
                          QStringLiteral("merged"), QStringLiteral("--out"), out});
    QVERIFY2(rc == 0, qPrintable(err));
    QVERIFY(isRegularFile(tmp.sub("cli-merged/model.safetensors")));
    // Again without --force: refused; with --force: replaced.
    std::tie(rc, err) = run({QStringLiteral("export"), adapter, QStringLiteral("--base"), base,
                             QStringLiteral("--format"), QStringLiteral("merged"), QStringLiteral("--out"), out});
    QVERIFY(rc != 0);
    QVERIFY2(err.contains(QStringLiteral("--force")), qPrintable(err));
    std::tie(rc, err) =
        run({QStringLiteral("export"), adapter, QStringLiteral("--base"), base, QStringLiteral("--format"),
             QStringLiteral("merged"), QStringLiteral("--out"), out, QStringLiteral("--force")});
    QVERIFY2(rc == 0, qPrintable(err));
    // An unknown format is refused and says which ones exist (peft and gguf: tests/core/export).
    std::tie(rc, err) = run({QStringLiteral("export"), adapter, QStringLiteral("--base"), base,
                             QStringLiteral("--format"), QStringLiteral("onnx"), QStringLiteral("--out"), out});
    QVERIFY(rc != 0);
    QVERIFY2(err.contains(QStringLiteral("gguf")), qPrintable(err));
}

QTEST_APPLESS_MAIN(TestMergedExport)
#include "tst_merged_export.moc"
