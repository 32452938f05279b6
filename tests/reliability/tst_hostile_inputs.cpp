// Hostile files: every reader refuses JSON / YAML nested 10^5 deep with a clear message (no stack
// overflow), a 1 GB single line in a JSONL file is refused naming the file and the line (read
// with bounded memory), pickled PyTorch checkpoints are refused with a conversion command, and a
// tokenizer.json with 10^6 merges loads and encodes correctly.
#include "reliability_test_util.h"
#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/model_info.h"
#include "ps/run_config.h"
#include "ps/safetensors.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"
#include "util/json_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace ps;
namespace fs = std::filesystem;

namespace {

constexpr int kDeep = 100000;

std::string deepArray(int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); }

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

using ps::test::errorOf;

// A safetensors file whose header is `header` followed by `dataBytes` zero bytes.
void writeSafetensors(const std::string& path, const std::string& header, std::size_t dataBytes = 0) {
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out << header << std::string(dataBytes, '\0');
}

// A BPE tokenizer.json without byte-level pre-tokenization: 62 one-character tokens and
// `numMerges` merges that build 2-, 3- and 4-character strings over them, one new token each.
// Longer merges get the lower ranks, so "abcd" merges a+b (the lowest 2-character pair), then
// ab+c, then abc+d into one token.
std::string bigMergesTokenizer(int numMerges) {
    const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string vocab;
    int nextId = 0;
    for (char c : chars) {
        vocab += (nextId ? "," : "") + std::string("\"") + c + "\":" + std::to_string(nextId);
        ++nextId;
    }
    std::vector<std::string> previous(chars.size()), levels;
    for (std::size_t i = 0; i < chars.size(); ++i)
        previous[i] = std::string(1, chars[i]);
    int made = 0;
    while (made < numMerges) {
        std::vector<std::string> longer;
        std::string level;
        for (const auto& p : previous) {
            for (char c : chars) {
                if (made == numMerges)
                    break;
                const std::string t = p + c;
                vocab += ",\"" + t + "\":" + std::to_string(nextId++);
                level += (level.empty() ? "" : ",") + std::string("\"") + p + " " + c + "\"";
                longer.push_back(t);
                ++made;
            }
        }
        levels.push_back(level);
        previous.swap(longer);
    }
    std::string merges;
    for (auto it = levels.rbegin(); it != levels.rend(); ++it)
        merges += (merges.empty() ? "" : ",") + *it;
    return "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":null,"
           "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"BPE\",\"vocab\":{" +
           vocab + "},\"merges\":[" + merges + "]}}";
}

// VmHWM restarts from the current RSS (Linux), so that one test's peak is not another's.
void resetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

} // namespace

class TestHostileInputs final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string path(const char* name) const { return tmp_.filePath(QString::fromUtf8(name)).toStdString(); }

private Q_SLOTS:
    void nestingCheckCountsOnlyStructure() {
        QVERIFY(findJsonNestingOverflow(deepArray(kMaxJsonDepth)) == std::string::npos);
        QCOMPARE(findJsonNestingOverflow(deepArray(kMaxJsonDepth + 1)), std::size_t(kMaxJsonDepth));
        // Brackets inside strings (escaped quotes included) are text, not nesting.
        const std::string inString = "{\"a\": \"\\\"" + deepArray(kDeep) + "\"}";
        QVERIFY(findJsonNestingOverflow(inString) == std::string::npos);
        QCOMPARE(parseJson(inString, "x")["a"].get<std::string>().size(), std::size_t(2 * kDeep + 1));
    }

    void deepJsonIsRefusedEverywhere_data() {
        QTest::addColumn<QString>("what");
        QTest::newRow("tokenizer.json") << QStringLiteral("tokenizer");
        QTest::newRow("config.json") << QStringLiteral("config");
        QTest::newRow("safetensors header") << QStringLiteral("safetensors");
        QTest::newRow("JSONL record") << QStringLiteral("jsonl");
        QTest::newRow("JSON list in a CSV cell") << QStringLiteral("csv");
        QTest::newRow("run config YAML, flow lists") << QStringLiteral("yaml-flow");
        QTest::newRow("run config YAML, block lists") << QStringLiteral("yaml-block");
    }
    void deepJsonIsRefusedEverywhere() {
        QFETCH(QString, what);
        const std::string deep = deepArray(kDeep);
        std::string file, error;
        if (what == QStringLiteral("tokenizer")) {
            file = path("tokenizer.json");
            writeText(file, "{\"model\": " + deep + "}");
            error = errorOf([&] { Tokenizer::loadTokenizerJson(file); });
        } else if (what == QStringLiteral("config")) {
            fs::create_directories(path("deep-model"));
            file = path("deep-model") + "/config.json";
            writeText(file, "{\"model_type\": \"llama\", \"rope_scaling\": " + deep + "}");
            error = errorOf([&] { inspectModel(path("deep-model")); });
        } else if (what == QStringLiteral("safetensors")) {
            file = path("deep.safetensors");
            writeSafetensors(file, "{\"__metadata__\": " + deep + "}");
            error = errorOf([&] { SafetensorsFile::open(file); });
        } else if (what == QStringLiteral("jsonl")) {
            file = path("deep.jsonl");
            writeText(file, "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": " + deep + "}\n");
            error = errorOf([&] {
                DatasetReader reader(file);
                DataRecord r;
                while (reader.next(r)) {
                }
            });
            QVERIFY2(error.find(file + ":2:") != std::string::npos, error.c_str()); // names the line
        } else if (what == QStringLiteral("csv")) {
            file = path("deep.csv");
            writeText(file, "conversations\n\"" + deep + "\"\n");
            error = errorOf([&] {
                ReadOptions o;
                o.format = DataFormat::ShareGpt;
                DatasetReader reader(file, o);
                DataRecord r;
                while (reader.next(r)) {
                }
            });
        } else if (what == QStringLiteral("yaml-flow")) {
            file = path("deep-flow.yaml");
            writeText(file, "lora_target: " + deep + "\n");
            error = errorOf([&] { loadRunConfig(file); });
        } else {
            file = path("deep-block.yaml");
            std::string text = "lora_target:\n";
            for (int i = 0; i < kDeep; ++i)
                text += "- ";
            writeText(file, text + "x\n");
            error = errorOf([&] { loadRunConfig(file); });
        }
        QVERIFY2(error.find(file) != std::string::npos, error.c_str());
        QVERIFY2(error.find("nest") != std::string::npos, error.c_str());
    }

    // The line is 1 GiB of a sparse file (reads as zero bytes, costs no disk). It must be refused
    // by the per-record limit (ReadOptions::maxRecordBytes, 16 MiB) without being held in memory.
    void oneGigabyteLineIsRefusedWithBoundedMemory() {
        const std::string file = path("huge-line.jsonl");
        {
            std::FILE* f = std::fopen(file.c_str(), "wb");
            QVERIFY(f);
            std::fputs("{\"instruction\": \"", f);
            QVERIFY(std::fseek(f, 1l << 30, SEEK_CUR) == 0);
            std::fputs("\", \"output\": \"x\"}\n{\"instruction\": \"a\", \"output\": \"b\"}\n", f);
            std::fclose(f);
        }
        resetPeakRss();
        const std::uint64_t before = currentRssBytes();
        ReadOptions o;
        o.format = DataFormat::Alpaca;
        const std::string error = errorOf([&] {
            DatasetReader reader(file, o);
            DataRecord r;
            while (reader.next(r)) {
            }
        });
        const std::uint64_t peak = peakRssBytes();
        fs::remove(file);
        QVERIFY2(error.find(file + ":1:") != std::string::npos, error.c_str());
        QVERIFY2(error.find("larger than 16 MiB") != std::string::npos, error.c_str());
        QVERIFY2(peak < before + (100ull << 20), qPrintable(QStringLiteral("peak RSS grew by %1 MiB")
                                                                 .arg((peak - before) >> 20)));
    }

    void pickledWeightsAreRefusedWithAConversionCommand_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("pytorch_model.bin (zip)") << QStringLiteral("pytorch_model.bin") << QByteArray("PK\x03\x04 zip");
        QTest::newRow("model.pt (pickle protocol 2)") << QStringLiteral("model.pt") << QByteArray("\x80\x02\x8a\x0a");
        QTest::newRow("model.pth") << QStringLiteral("model.pth") << QByteArray("\x80\x04\x95");
        QTest::newRow("last.ckpt") << QStringLiteral("last.ckpt") << QByteArray("PK\x03\x04");
        QTest::newRow("weights.safetensors holding a pickle") << QStringLiteral("weights.safetensors")
                                                              << QByteArray("\x80\x02\x8a\x0a\x6c\xfc");
    }
    void pickledWeightsAreRefusedWithAConversionCommand() {
        QFETCH(QString, file);
        QFETCH(QByteArray, bytes);
        const std::string dir = path("pickle-") + file.toStdString();
        fs::create_directories(dir);
        const std::string p = dir + "/" + file.toStdString();
        writeText(p, bytes.toStdString() + std::string(64, 'x'));
        std::string error = errorOf([&] { SafetensorsFile::open(p); });
        QVERIFY2(error.find("never loads") != std::string::npos, error.c_str());
        QVERIFY2(error.find("save_file(torch.load('" + p) != std::string::npos, error.c_str());
        if (file.endsWith(QStringLiteral(".safetensors")))
            return;
        error = errorOf([&] { SafetensorsCheckpoint::open(dir); });
        QVERIFY2(error.find(file.toStdString()) != std::string::npos, error.c_str());
        QVERIFY2(error.find("save_pretrained('" + dir + "', safe_serialization=True)") != std::string::npos,
                 error.c_str());
    }

    // No false alarm: a real safetensors file whose header length starts with bytes that look
    // like a pickle (0x80 0x02 = 640 bytes) loads, and so does one named .bin.
    void safetensorsLookingLikeAPickleStillLoads() {
        std::string header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"p\":\"";
        header += std::string(640 - header.size() - 3, 'x') + "\"}}";
        QCOMPARE(header.size(), std::size_t(640));
        const std::string p = path("looks-like-pickle.safetensors");
        writeSafetensors(p, header, 8);
        QCOMPARE(SafetensorsFile::open(p)->tensors().size(), std::size_t(1));
        const std::string asBin = path("named.bin");
        fs::copy_file(p, asBin);
        QCOMPARE(SafetensorsFile::open(asBin)->tensors().size(), std::size_t(1));
    }

    void millionMergesTokenizerLoads() {
        const std::string json = bigMergesTokenizer(1000000);
        const std::string file = path("big-merges.json");
        writeText(file, json);
        resetPeakRss();
        const std::uint64_t before = currentRssBytes();
        const auto tok = Tokenizer::loadTokenizerJson(file);
        const std::uint64_t peak = peakRssBytes();
        fs::remove(file);
        QCOMPARE(tok->vocabSize(), 62 + 1000000);
        const auto abcd = tok->encode("abcd");
        QCOMPARE(abcd.size(), std::size_t(1));
        QVERIFY(tok->idToToken(abcd[0]) == std::string("abcd"));
        const std::string text = "Zq9abcdXY0hello42world";
        std::string joined; // the tokens cover the text exactly, in order
        for (const auto id : tok->encode(text))
            joined += tok->idToToken(id).value_or("?");
        QCOMPARE(joined, text);
        qInfo("10^6 merges: tokenizer.json %zu MiB, peak RSS growth while loading %llu MiB", json.size() >> 20,
              static_cast<unsigned long long>((peak > before ? peak - before : 0) >> 20));
        QVERIFY(peak < before + (2048ull << 20));
    }
};

QTEST_APPLESS_MAIN(TestHostileInputs)
#include "tst_hostile_inputs.moc"
