// PEFT export: a clean HF PEFT folder that core's loader loads back with the same logits as the
// source adapter (and as peft's reference), a relative base name, and a model card that tells the
// run's story when the adapter comes from a run folder.
#include "../adapters/adapter_test_util.h"

#include "ps/export.h"
#include "ps/inference.h"
#include "ps/runs.h"

#include <filesystem>

using namespace ps;
using namespace ps::testing;

namespace {

std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

void copyAdapter(const std::string& from, const std::string& to) {
    std::filesystem::create_directories(to);
    for (const char* f : {"adapter_config.json", "adapter_model.safetensors"})
        std::filesystem::copy_file(from + "/" + f, to + "/" + f);
}

} // namespace

class TestPeftExport final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exportLoadsBackWithSameLogits_data();
    void exportLoadsBackWithSameLogits();
    void absoluteBasePathBecomesAName();
    void runFolderGivesModelCardAndBase();
    void fullFineTuneIsRefused();
    void existingFolderAndBrokenAdapter();
};

void TestPeftExport::exportLoadsBackWithSameLogits_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* f : {"lora-r4-qv", "lora-r8-all", "lora-gpt2", "ia3", "ia3-gpt2", "loha", "lokr", "prompt-tuning",
                          "prefix-tuning", "lora-bias-all", "lora-modules-to-save"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestPeftExport::exportLoadsBackWithSameLogits() {
    QFETCH(QString, fixture);
    const std::string dir = adapterFixture(fixture.toStdString());
    const std::string base = baseOfAdapterFixture(fixture.toStdString());
    TempDir tmp;
    const std::string out = tmp.sub("exported");
    const auto report = exportPeftAdapter(dir, base, out);
    QCOMPARE(filesIn(out), (std::vector<std::string>{"README.md", "adapter_config.json", "adapter_model.safetensors"}));
    QCOMPARE(report.files, filesIn(out));
    QCOMPARE(filesIn(tmp.path()), std::vector<std::string>{"exported"}); // no staging folder left

    const Json source = parseJsonFile(dir + "/adapter_config.json");
    const Json config = parseJsonFile(out + "/adapter_config.json");
    QCOMPARE(config["base_model_name_or_path"], source["base_model_name_or_path"]);
    QCOMPARE(config["peft_type"], source["peft_type"]);
    QCOMPARE(config["task_type"].get<std::string>(), std::string("CAUSAL_LM"));
    const auto file = SafetensorsFile::open(out + "/adapter_model.safetensors");
    QCOMPARE(file->metadata().at("format"), std::string("pt"));
    // Same tensors, same bytes.
    const auto src = SafetensorsFile::open(dir + "/adapter_model.safetensors");
    QCOMPARE(file->tensors().size(), src->tensors().size());
    for (const auto& t : src->tensors()) {
        const TensorInfo* e = file->find(t.name);
        QVERIFY2(e && e->shape == t.shape && e->dtype == t.dtype, t.name.c_str());
        QVERIFY(std::memcmp(file->data(*e), src->data(t), t.nbytes) == 0);
    }

    const auto ids = referenceTensor(dir, "input_ids");
    auto exported = adapters::PeftModel::load(out, loadFloatModel(base));
    auto original = adapters::PeftModel::load(dir, loadFloatModel(base));
    const auto logits = logitsOf(*exported, ids);
    QVERIFY(maxAbsDiff(logits, logitsOf(*original, ids)) == 0.0);
    QVERIFY(maxAbsDiff(logits, referenceTensor(dir, "logits")) <= 1e-4);

    // The same through the public inference entry point (what `forward --adapter` runs).
    LogitsRequest request;
    request.modelDir = base;
    request.rows = {
        std::vector<std::int64_t>(ids[0].data_ptr<std::int64_t>(), ids[0].data_ptr<std::int64_t>() + ids.size(1))};
    request.adapterDir = dir;
    const Logits fromSource = computeLogits(request);
    request.adapterDir = out;
    QVERIFY(computeLogits(request).values == fromSource.values);

    const std::string card = readFile(out + "/README.md");
    QVERIFY2(card.rfind("---\nbase_model: \"" + source["base_model_name_or_path"].get<std::string>() + "\"", 0) == 0,
             card.c_str());
    QVERIFY(card.find("library_name: peft") != std::string::npos);
    QVERIFY(card.find(source["peft_type"].get<std::string>()) != std::string::npos);
}

void TestPeftExport::absoluteBasePathBecomesAName() {
    TempDir tmp;
    copyAdapter(adapterFixture("lora-r4-qv"), tmp.sub("src"));
    Json config = parseJsonFile(tmp.sub("src/adapter_config.json"));
    config["base_model_name_or_path"] = "/home/someone/models/tiny-llama";
    writeFileAtomic(tmp.sub("src/adapter_config.json"), config.dump(2));
    const auto report = exportPeftAdapter(tmp.sub("src"), modelFixture("tiny-llama"), tmp.sub("out"));
    QCOMPARE(report.baseModelName, std::string("tiny-llama"));
    QCOMPARE(parseJsonFile(tmp.sub("out/adapter_config.json"))["base_model_name_or_path"].get<std::string>(),
             std::string("tiny-llama"));
    QVERIFY(readFile(tmp.sub("out/README.md")).find("/home/someone") == std::string::npos);

    // No name in the source: the base folder's name, never its absolute path.
    config.erase("base_model_name_or_path");
    writeFileAtomic(tmp.sub("src/adapter_config.json"), config.dump(2));
    exportPeftAdapter(tmp.sub("src"), modelFixture("tiny-llama"), tmp.sub("out2"));
    QCOMPARE(parseJsonFile(tmp.sub("out2/adapter_config.json"))["base_model_name_or_path"].get<std::string>(),
             std::string("tiny-llama"));
}

void TestPeftExport::runFolderGivesModelCardAndBase() {
    TempDir tmp;
    RunConfig c;
    c.model_name_or_path = modelFixture("tiny-llama");
    c.dataset = "/private/data/alpaca_clean.jsonl";
    c.lora_rank = 4;
    c.learning_rate = 2e-4;
    c.output_dir = tmp.path();
    c.run_name = "my-first-run";
    const std::string run = createRunFolder(c);
    copyAdapter(adapterFixture("lora-r4-qv"), runAdapterDir(run));
    RunSummary s = readRunSummary(run);
    s.status = RunStatus::Completed;
    s.finalLoss = 1.2345;
    s.bestEvalLoss = 1.5;
    s.bestStep = 100;
    s.steps = 120;
    s.totalSteps = 120;
    s.tokens = 123456;
    s.tokensPerSec = 321.5;
    s.durationSec = 3725;
    writeRunSummary(run, s);

    // The run folder and its adapter/ folder both work, with the base taken from the run.
    for (const std::string& source : {run, runAdapterDir(run)}) {
        const std::string out = tmp.sub("card-" + std::to_string(source.size()));
        exportPeftAdapter(source, "", out);
        const std::string card = readFile(out + "/README.md");
        for (const char* needle :
             {"# my-first-run", "alpaca_clean.jsonl", "| Rank (r) | 4 |", "| Alpha | 8 (scaling 2) |",
              "Final training loss | 1.2345", "Best evaluation loss | 1.5 (step 100)", "123,456", "321.5 tokens/s",
              "1h 02m", "learning rate 0.0002", "v_proj, q_proj"})
            QVERIFY2(card.find(needle) != std::string::npos, (std::string(needle) + "\n" + card).c_str());
        QVERIFY2(card.find("/private/data") == std::string::npos, card.c_str());
        QVERIFY(card.find(tmp.path()) == std::string::npos);
    }
    QVERIFY(errorOf([&] { exportPeftAdapter(adapterFixture("lora-r4-qv"), "", tmp.sub("nobase")); }).find("--base") !=
            std::string::npos);
}

void TestPeftExport::fullFineTuneIsRefused() {
    const std::string err = errorOf([&] {
        TempDir tmp;
        exportPeftAdapter(modelFixture("tiny-gpt2"), modelFixture("tiny-gpt2"), tmp.sub("x"));
    });
    QVERIFY2(err.find("--format merged") != std::string::npos, err.c_str());
}

void TestPeftExport::existingFolderAndBrokenAdapter() {
    TempDir tmp;
    const std::string dir = adapterFixture("loha");
    const std::string base = baseOfAdapterFixture("loha");
    std::filesystem::create_directories(tmp.sub("out"));
    writeFileAtomic(tmp.sub("out/keep.txt"), "x");
    QVERIFY(errorOf([&] { exportPeftAdapter(dir, base, tmp.sub("out")); }).find("--force") != std::string::npos);
    QVERIFY(isRegularFile(tmp.sub("out/keep.txt")));
    PeftExportOptions options;
    options.overwrite = true;
    exportPeftAdapter(dir, base, tmp.sub("out"), options);
    QVERIFY(!isRegularFile(tmp.sub("out/keep.txt")));
    QCOMPARE(filesIn(tmp.path()), std::vector<std::string>{"out"});

    // A config that does not match its weights: refused, naming the tensor, nothing written.
    std::filesystem::create_directories(tmp.sub("broken"));
    std::filesystem::copy_file(adapterFixture("lora-r4-qv") + "/adapter_config.json",
                               tmp.sub("broken/adapter_config.json"));
    std::filesystem::copy_file(adapterFixture("lora-r8-all") + "/adapter_model.safetensors",
                               tmp.sub("broken/adapter_model.safetensors"));
    const std::string err = errorOf([&] { exportPeftAdapter(tmp.sub("broken"), base, tmp.sub("b-out")); });
    QVERIFY2(err.find("lora_") != std::string::npos, err.c_str());
    QVERIFY(!std::filesystem::exists(tmp.sub("b-out")));
}

QTEST_APPLESS_MAIN(TestPeftExport)
#include "tst_peft_export.moc"
