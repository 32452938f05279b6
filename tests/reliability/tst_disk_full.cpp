// A full disk during a checkpoint or an export: a clear error naming the file and "No space left
// on device", the previous checkpoint intact and loadable, no staging folder left behind, the
// run marked failed with that message (and resumable once there is space again). Simulated with
// the write-failure hook (util/file_util.h) and, where this process may mount, with a real tmpfs
// filled up while the run trains.
#include "reliability_test_util.h"
#include "core/train/trainer_test_util.h"
#include "ps/adapter.h"
#include "ps/export.h"
#include "ps/runs.h"
#include "train/checkpoint.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <filesystem>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace ps;
using namespace ps::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> leftovers(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.find(".tmp-") != std::string::npos || name.find(".partial") != std::string::npos ||
            name.find(".staging") != std::string::npos || name.find(".old") != std::string::npos)
            out.push_back(it->path().string());
    }
    return out;
}

using ps::test::errorOf;

} // namespace

class TestDiskFull final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string model_, data_;

    // Trains with `whenFull` called once the checkpoint of step 2 is on disk (at step 3); the
    // checkpoint of step 4 then meets the full disk.
    RunSummary trainUntilFull(const std::string& runsRoot, const std::function<void()>& whenFull) {
        RunConfig c = smallRunConfig(model_, data_, runsRoot);
        c.save_steps = 2;
        RecordingObserver obs;
        bool filled = false;
        obs.onSample = [&](const MetricSample& s) {
            if (s.step == 3 && !filled) {
                filled = true;
                whenFull();
            }
        };
        StopToken stop;
        return Trainer().run(c, obs, stop);
    }

    void checkFailedRun(const RunSummary& s) {
        QCOMPARE(s.status, RunStatus::Failed);
        QVERIFY2(s.error.find("No space left on device") != std::string::npos, s.error.c_str());
        QVERIFY2(s.error.find("/checkpoints/step-4.tmp-") != std::string::npos, s.error.c_str()); // names the file
        const RunSummary onDisk = readRunSummary(s.runDir);
        QCOMPARE(onDisk.status, RunStatus::Failed);
        QCOMPARE(onDisk.error, s.error);
        const auto all = train::listCheckpoints(runCheckpointsDir(s.runDir));
        QCOMPARE(all.size(), std::size_t(1));
        QCOMPARE(all[0].first, std::int64_t(2));
        QCOMPARE(train::readCheckpoint(all[0].second).state.globalStep, std::int64_t(2));
        const auto left = leftovers(s.runDir);
        QVERIFY2(left.empty(), left.empty() ? "" : left.front().c_str());
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        model_ = makeTinyModel(tmp_.path().toStdString());
        data_ = writeAlpacaData(tmp_.path().toStdString(), 40);
    }
    void cleanup() { setWriteFailureAfterBytesForTesting(0); }

    void injectedDiskFullDuringACheckpoint() {
        const std::string root = tmp_.filePath(QStringLiteral("runs-injected")).toStdString();
        // 8 KiB free: summary.json fits, a checkpoint (hundreds of KiB) does not.
        const RunSummary s = trainUntilFull(root, [] { setWriteFailureAfterBytesForTesting(8 << 10); });
        checkFailedRun(s);
        if (QTest::currentTestFailed())
            return;
        setWriteFailureAfterBytesForTesting(0); // space again: the run resumes from step 2 and completes
        RecordingObserver obs;
        StopToken stop;
        const RunSummary resumed = Trainer().resume(s.runDir, obs, stop);
        QCOMPARE(resumed.status, RunStatus::Completed);
        QVERIFY(resumed.error.empty());
        QCOMPARE(obs.samples.front().step, std::int64_t(3));
    }

    void realTmpfsFilledUpDuringACheckpoint() {
        const std::string mnt = tmp_.filePath(QStringLiteral("tmpfs")).toStdString();
        fs::create_directories(mnt);
        if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64m") != 0)
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here (%1); the injected test covers the logic")
                                 .arg(QString::fromUtf8(std::strerror(errno)))));
        struct Unmount { // also when a check below fails: a mount outlives the process
            std::string dir;
            ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
        } unmount{mnt};
        const std::string filler = mnt + "/filler";
        const RunSummary s = trainUntilFull(mnt + "/runs", [&] {
            // Fill the file system, leaving 64 KiB: small files still fit, a checkpoint does not.
            struct statvfs v {};
            ::statvfs(mnt.c_str(), &v);
            const off_t free = static_cast<off_t>(v.f_bavail) * static_cast<off_t>(v.f_frsize);
            const int fd = ::open(filler.c_str(), O_CREAT | O_WRONLY, 0644);
            ::posix_fallocate(fd, 0, free - (64 << 10));
            ::close(fd);
        });
        struct statvfs v {};
        ::statvfs(mnt.c_str(), &v);
        qInfo("tmpfs free after the failure: %llu KiB", static_cast<unsigned long long>(v.f_bavail * v.f_frsize >> 10));
        checkFailedRun(s);
    }

    void injectedDiskFullDuringExports() {
        const std::string root = tmp_.filePath(QStringLiteral("runs-export")).toStdString();
        RecordingObserver obs;
        StopToken stop;
        const RunSummary run = Trainer().run(smallRunConfig(model_, data_, root), obs, stop);
        QCOMPARE(run.status, RunStatus::Completed);
        const std::string out = tmp_.filePath(QStringLiteral("exports")).toStdString();
        fs::create_directories(out);
        struct Case {
            const char* name;
            std::function<void()> run;
        };
        const Case cases[] = {
            {"peft", [&] { exportPeftAdapter(run.runDir, model_, out + "/peft"); }},
            {"gguf", [&] { exportGgufLora(run.runDir, model_, out + "/adapter.gguf"); }},
            {"merged", [&] { exportMerged(runAdapterDir(run.runDir), model_, out + "/merged", DType::F32); }},
        };
        for (const Case& c : cases) {
            setWriteFailureAfterBytesForTesting(4 << 10);
            const std::string error = errorOf(c.run);
            setWriteFailureAfterBytesForTesting(0);
            QVERIFY2(error.find("No space left on device") != std::string::npos, (c.name + (": " + error)).c_str());
            QVERIFY2(error.find(out) != std::string::npos, error.c_str()); // names the file being written
            std::vector<std::string> present;
            for (const auto& e : fs::directory_iterator(out))
                present.push_back(e.path().filename().string());
            QVERIFY2(present.empty(), (c.name + (": left behind " + (present.empty() ? "" : present[0]))).c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestDiskFull)
#include "tst_disk_full.moc"
