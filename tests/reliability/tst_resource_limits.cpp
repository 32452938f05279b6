// Resource limits: a model that cannot fit in memory is refused before any weight is loaded,
// with the estimate in the message; a ~200 MB dataset is read and tokenized with bounded memory.
#include "reliability_test_util.h"
#include "core/train/trainer_test_util.h"
#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/generate.h"
#include "ps/runs.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace ps;
using namespace ps::test;
namespace fs = std::filesystem;

namespace {

void resetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// A Llama-70B-shaped model folder (80 layers, hidden 8192, bfloat16: about 138 GB of weights)
// whose model.safetensors is a sparse file: the header is real, the data a hole.
std::string makeHugeSparseModel(const std::string& dir) {
    fs::create_directories(dir);
    const std::int64_t h = 8192, inter = 28672, layers = 80, vocab = 50257, kv = 1024;
    std::ofstream(dir + "/config.json")
        << "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": " << h
        << ", \"intermediate_size\": " << inter << ", \"num_hidden_layers\": " << layers
        << ", \"num_attention_heads\": 64, \"num_key_value_heads\": 8, \"vocab_size\": " << vocab
        << ", \"max_position_embeddings\": 4096, \"rms_norm_eps\": 1e-5, \"torch_dtype\": \"bfloat16\", "
           "\"tie_word_embeddings\": false, \"bos_token_id\": 50256, \"eos_token_id\": 50256}";
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> tensors = {
        {"model.embed_tokens.weight", {vocab, h}}, {"model.norm.weight", {h}}, {"lm_head.weight", {vocab, h}}};
    for (std::int64_t i = 0; i < layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        tensors.push_back({p + "self_attn.q_proj.weight", {h, h}});
        tensors.push_back({p + "self_attn.k_proj.weight", {kv, h}});
        tensors.push_back({p + "self_attn.v_proj.weight", {kv, h}});
        tensors.push_back({p + "self_attn.o_proj.weight", {h, h}});
        tensors.push_back({p + "mlp.gate_proj.weight", {inter, h}});
        tensors.push_back({p + "mlp.up_proj.weight", {inter, h}});
        tensors.push_back({p + "mlp.down_proj.weight", {h, inter}});
        tensors.push_back({p + "input_layernorm.weight", {h}});
        tensors.push_back({p + "post_attention_layernorm.weight", {h}});
    }
    std::string header = "{";
    std::uint64_t offset = 0;
    for (const auto& [name, shape] : tensors) {
        std::uint64_t n = 2;
        std::string dims;
        for (const auto d : shape) {
            n *= static_cast<std::uint64_t>(d);
            dims += (dims.empty() ? "" : ",") + std::to_string(d);
        }
        header += (offset ? "," : "") + ("\"" + name + "\":{\"dtype\":\"BF16\",\"shape\":[" + dims +
                                         "],\"data_offsets\":[" + std::to_string(offset) + "," +
                                         std::to_string(offset + n) + "]}");
        offset += n;
    }
    header += "}";
    const std::string file = dir + "/model.safetensors";
    {
        std::ofstream out(file, std::ios::binary);
        const std::uint64_t len = header.size();
        for (int i = 0; i < 8; ++i)
            out.put(static_cast<char>((len >> (8 * i)) & 0xff));
        out << header;
    }
    fs::resize_file(file, 8 + header.size() + offset); // a hole: no disk used
    for (const auto& e : fs::directory_iterator(PS_FIXTURES "/tokenizers/gpt2"))
        fs::copy_file(e.path(), dir + "/" + e.path().filename().string(), fs::copy_options::skip_existing);
    return dir;
}

using ps::test::errorOf;

} // namespace

class TestResourceLimits final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private Q_SLOTS:
    void cleanup() { qunsetenv("PEFT_STUDIO_AVAILABLE_MEMORY"); }

    void modelLargerThanMemoryIsRefusedBeforeLoading_data() {
        QTest::addColumn<bool>("huge");
        QTest::addColumn<QByteArray>("available");
        QTest::newRow("70B-shaped sparse model, 64 GiB available") << true << QByteArray::number(64ull << 30);
        QTest::newRow("demo-tiny model, 1 MiB available") << false << QByteArray::number(1ull << 20);
    }
    void modelLargerThanMemoryIsRefusedBeforeLoading() {
        QFETCH(bool, huge);
        QFETCH(QByteArray, available);
        const std::string dir = tmp_.path().toStdString();
        const std::string model = huge ? makeHugeSparseModel(dir + "/huge-model") : makeTinyModel(dir);
        const std::string runs = dir + (huge ? "/runs-huge" : "/runs-tiny");
        qputenv("PEFT_STUDIO_AVAILABLE_MEMORY", available);
        RunConfig c = smallRunConfig(model, writeAlpacaData(dir, 8), runs);
        c.bf16 = huge;
        RecordingObserver obs;
        StopToken stop;
        const std::uint64_t rssBefore = currentRssBytes();
        const std::string error = errorOf([&] { Trainer().run(c, obs, stop); });
        QVERIFY2(error.find("refused before loading") != std::string::npos, error.c_str());
        QVERIFY2(error.find("needs about") != std::string::npos && error.find(" of memory is available") != std::string::npos,
                 error.c_str());
        if (huge) // the weights alone: 69.3 billion bfloat16 parameters, 138.5 GB
            QVERIFY2(error.find("weights 13") != std::string::npos, error.c_str());
        QVERIFY(listRunFolders(runs).empty());                // nothing was started
        QVERIFY(currentRssBytes() < rssBefore + (512ull << 20)); // and nothing was loaded
    }

    // Loading for chat / generation has the same guard, on the weights alone.
    void generatorRefusesAModelLargerThanMemory() {
        const std::string model = makeHugeSparseModel(tmp_.path().toStdString() + "/huge-model");
        qputenv("PEFT_STUDIO_AVAILABLE_MEMORY", QByteArray::number(64ull << 30));
        GeneratorConfig c;
        c.modelDir = model;
        c.dtype = "bf16";
        const std::string error = errorOf([&] { Generator g(c); });
        QVERIFY2(error.find(model + ": the weights need about 13") != std::string::npos, error.c_str());
        QVERIFY2(error.find("refused before loading") != std::string::npos, error.c_str());
    }

    // ~200 MB of Alpaca records, read and tokenized (cutoff 64, cached on disk): the peak resident
    // memory grows by far less than the file, because records stream through a 1 MiB window and
    // the token ids stream to the cache file.
    void largeDatasetIsTokenizedInBoundedMemory() {
        const std::string file = tmp_.filePath(QStringLiteral("big.jsonl")).toStdString();
        std::int64_t records = 0;
        {
            std::ofstream out(file, std::ios::binary);
            std::string answer;
            for (int k = 0; answer.size() < 2000; ++k)
                answer += k % 3 ? "the river runs past the town and " : "music fills the hills, ";
            std::uint64_t bytes = 0;
            while (bytes < (200ull << 20)) {
                const std::string line = "{\"instruction\": \"Write about item " + std::to_string(records) +
                                         ".\", \"output\": \"" + answer + "\"}\n";
                out << line;
                bytes += line.size();
                ++records;
            }
        }
        const auto tok = Tokenizer::load(PS_FIXTURES "/tokenizers/gpt2");
        ReadOptions read;
        read.format = DataFormat::Alpaca;
        TokenizeOptions opts;
        opts.cutoffLen = 64;
        opts.chatFamily = ChatFamily::Alpaca;
        opts.cacheDir = tmp_.filePath(QStringLiteral("cache")).toStdString();
        resetPeakRss();
        const std::uint64_t before = currentRssBytes();
        const TokenizedDataset data = tokenizeDataset(file, *tok, read, opts);
        const std::uint64_t peak = peakRssBytes();
        fs::remove(file);
        QCOMPARE(data.stats().numRecords, records);
        QCOMPARE(static_cast<std::int64_t>(data.size()), records);
        QCOMPARE(data.length(0), std::int64_t(64)); // truncated at cutoff_len
        qInfo("%lld records (200 MiB): peak RSS growth %llu MiB", static_cast<long long>(records),
              static_cast<unsigned long long>((peak - before) >> 20));
        QVERIFY2(peak < before + (100ull << 20),
                 qPrintable(QStringLiteral("peak RSS grew by %1 MiB").arg((peak - before) >> 20)));
    }
};

QTEST_APPLESS_MAIN(TestResourceLimits)
#include "tst_resource_limits.moc"
