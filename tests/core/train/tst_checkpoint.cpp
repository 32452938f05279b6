// Checkpoints: exact round trip of tensors, optimizer state, RNG state and trainer state; a write
// that fails half-way (simulated full disk) leaves the previous checkpoint intact; retention;
// validation errors that name the file.
#include "io/torch_tensors.h"
#include "ps/error.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"
#include "train/rng_state.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace ps;
using namespace ps::train;
namespace fs = std::filesystem;

namespace {

Checkpoint makeCheckpoint(std::int64_t step) {
    torch::manual_seed(static_cast<std::uint64_t>(step));
    torch::Tensor a = torch::randn({4, 8}).set_requires_grad(true);
    torch::Tensor b = torch::randn({8, 4}).set_requires_grad(true);
    AdamW opt({{"decay", {{"layers.0.lora_A.weight", a}, {"layers.0.lora_B.weight", b}}, 0.01}});
    a.mutable_grad() = torch::randn({4, 8});
    b.mutable_grad() = torch::randn({8, 4});
    opt.step(1e-3);
    Checkpoint c;
    c.trainable = {{"layers.0.lora_A.weight", a.detach()}, {"layers.0.lora_B.weight", b.detach()}};
    c.optimizerState = opt.stateTensors();
    c.optimizerMetadata = opt.stateMetadata();
    c.rngState = captureTorchRngState();
    std::mt19937_64 dataRng(1234 + step);
    dataRng.discard(17);
    c.state.globalStep = step;
    c.state.schedulerStep = step;
    c.state.totalSteps = 100;
    c.state.epoch = step / 40.0;
    c.state.data = {step / 40, (step % 40) * 4};
    c.state.tokensSeen = 4096u * static_cast<std::uint64_t>(step);
    c.state.elapsedSec = 1.25 * step;
    c.state.bestEvalLoss = 2.0 - step * 0.001;
    c.state.bestStep = step - 1;
    c.state.evalsWithoutImprovement = 1;
    c.state.dataRngState = mt19937State(dataRng);
    return c;
}

bool sameTensors(const NamedTensors& a, const NamedTensors& b) {
    if (a.size() != b.size())
        return false;
    std::map<std::string, torch::Tensor> m(b.begin(), b.end());
    for (const auto& [name, t] : a) {
        auto it = m.find(name);
        if (it == m.end() || t.scalar_type() != it->second.scalar_type() || !torch::equal(t, it->second))
            return false;
    }
    return true;
}

template <typename F> std::string errorOf(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestCheckpoint final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { setWriteFailureAfterBytesForTesting(0); }

    void roundTripIsExact() {
        QTemporaryDir dir;
        const std::string ckDir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        const Checkpoint c = makeCheckpoint(12);
        const std::string path = writeCheckpoint(ckDir, c, [](const std::string& tmp) {
            writeFileAtomic(joinPath(tmp, "adapter/adapter_config.json"), "{}");
        });
        QCOMPARE(fileName(path), std::string("step-12"));
        QVERIFY(isRegularFile(joinPath(path, "adapter/adapter_config.json")));
        const Checkpoint back = readCheckpoint(path);
        QVERIFY(back.state == c.state);
        QVERIFY(sameTensors(back.trainable, c.trainable));
        QVERIFY(sameTensors(back.optimizerState, c.optimizerState));
        QVERIFY(sameTensors(back.rngState, c.rngState));
        QCOMPARE(back.optimizerMetadata, c.optimizerMetadata);
        QCOMPARE(latestCheckpoint(ckDir).value(), path);
    }

    void restoredRngRepeatsTheSameNumbers() {
        torch::manual_seed(7);
        const NamedTensors torchState = captureTorchRngState();
        std::mt19937_64 rng(99);
        rng.discard(5);
        const std::string mtState = mt19937State(rng);
        const torch::Tensor first = torch::rand({16});
        const auto firstDropout = torch::dropout(torch::ones({64}), 0.5, true);
        const std::uint64_t firstDraw = rng();

        torch::manual_seed(12345); // move everything elsewhere
        std::mt19937_64 other(1);
        restoreTorchRngState(torchState, "rng.safetensors");
        restoreMt19937State(other, mtState, "trainer_state.json");
        QVERIFY(torch::equal(torch::rand({16}), first));
        QVERIFY(torch::equal(torch::dropout(torch::ones({64}), 0.5, true), firstDropout));
        QCOMPARE(other(), firstDraw);

        QVERIFY(errorOf([&] { restoreMt19937State(other, "1 2 3", "trainer_state.json"); }).find("malformed") !=
                std::string::npos);
        QVERIFY(errorOf([&] {
                    restoreTorchRngState({{"torch_cpu", torch::zeros({3})}}, "rng.safetensors");
                }).find("must be a 1-D uint8 tensor") != std::string::npos);
        QVERIFY(errorOf([&] {
                    restoreTorchRngState({{"torch_cpu", torch::zeros({3}, torch::kUInt8)}}, "rng.safetensors");
                }).find("is not valid for this LibTorch") != std::string::npos);
    }

    void failedWriteLeavesThePreviousCheckpointIntact_data() {
        QTest::addColumn<int>("secondStep");
        QTest::addColumn<int>("failAfterBytes");
        QTest::newRow("new step, disk full in the first file") << 2 << 100;
        QTest::newRow("new step, disk full in a later file") << 2 << 2500;
        QTest::newRow("same step rewritten, disk full") << 1 << 1000;
    }
    void failedWriteLeavesThePreviousCheckpointIntact() {
        QFETCH(int, secondStep);
        QFETCH(int, failAfterBytes);
        QTemporaryDir dir;
        const std::string ckDir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        const Checkpoint first = makeCheckpoint(1);
        const std::string firstPath = writeCheckpoint(ckDir, first);

        setWriteFailureAfterBytesForTesting(failAfterBytes);
        const std::string error = errorOf([&] { writeCheckpoint(ckDir, makeCheckpoint(secondStep)); });
        setWriteFailureAfterBytesForTesting(0);
        QVERIFY2(error.find("No space left on device") != std::string::npos, error.c_str());

        const auto all = listCheckpoints(ckDir);
        QCOMPARE(all.size(), std::size_t(1));
        QCOMPARE(all[0].second, firstPath);
        const Checkpoint back = readCheckpoint(firstPath);
        QVERIFY(back.state == first.state);
        QVERIFY(sameTensors(back.trainable, first.trainable));
        for (const auto& e : fs::directory_iterator(ckDir)) // the temporary folder was removed
            QCOMPARE(e.path().string(), firstPath);
    }

    void staleTemporaryFoldersAreIgnoredAndCleared() {
        QTemporaryDir dir;
        const std::string ckDir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        fs::create_directories(ckDir + "/step-9.tmp-123"); // a crash mid-write
        writeFileAtomic(ckDir + "/step-9.tmp-123/trainable.safetensors", "partial");
        fs::create_directories(ckDir + "/step-8"); // no trainer_state.json: incomplete
        QVERIFY(listCheckpoints(ckDir).empty());
        QVERIFY(!latestCheckpoint(ckDir));
        writeCheckpoint(ckDir, makeCheckpoint(3));
        QVERIFY(!fs::exists(ckDir + "/step-9.tmp-123"));
        QCOMPARE(listCheckpoints(ckDir).size(), std::size_t(1));
    }

    void retentionKeepsTheLastAndTheBest() {
        QTemporaryDir dir;
        const std::string ckDir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        for (int step : {10, 20, 30, 40, 50})
            writeCheckpoint(ckDir, makeCheckpoint(step));
        pruneCheckpoints(ckDir, 2, 20);
        std::vector<std::int64_t> steps;
        for (const auto& [step, path] : listCheckpoints(ckDir))
            steps.push_back(step);
        QCOMPARE(steps, (std::vector<std::int64_t>{20, 40, 50}));
        QCOMPARE(fileName(latestCheckpoint(ckDir).value()), std::string("step-50"));
        pruneCheckpoints(ckDir, 0); // 0 = keep all
        QCOMPARE(listCheckpoints(ckDir).size(), std::size_t(3));
    }

    void damagedCheckpointsAreReportedByFile_data() {
        QTest::addColumn<int>("damage");
        QTest::addColumn<QString>("expected");
        QTest::newRow("state file missing") << 0 << "trainer_state.json: missing (the checkpoint is incomplete)";
        QTest::newRow("optimizer file truncated")
            << 1 << "optimizer.safetensors: is 100 bytes, trainer_state.json recorded";
        QTest::newRow("step of the wrong type") << 2 << "trainer_state.json: key 'global_step' must be an integer";
        QTest::newRow("negative data position") << 3 << "data_position: 'index' must be >= 0, got -4";
        QTest::newRow("rng file missing") << 4 << "rng.safetensors: missing (listed in trainer_state.json)";
    }
    void damagedCheckpointsAreReportedByFile() {
        QFETCH(int, damage);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const std::string path =
            writeCheckpoint(dir.filePath(QStringLiteral("checkpoints")).toStdString(), makeCheckpoint(5));
        const std::string statePath = joinPath(path, "trainer_state.json");
        std::string state = readFile(statePath);
        if (damage == 0) {
            fs::remove(statePath);
        } else if (damage == 1) {
            fs::resize_file(joinPath(path, "optimizer.safetensors"), 100);
        } else if (damage == 2) {
            state.replace(state.find("\"global_step\": 5"), 16, "\"global_step\": \"5\"");
            writeFileAtomic(statePath, state);
        } else if (damage == 3) {
            state.replace(state.find("\"index\": 20"), 11, "\"index\": -4");
            writeFileAtomic(statePath, state);
        } else {
            fs::remove(joinPath(path, "rng.safetensors"));
        }
        const std::string error = errorOf([&] { readCheckpoint(path); });
        QVERIFY2(QString::fromStdString(error).contains(expected), error.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
