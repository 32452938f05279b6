// Hugging Face cache discovery on a fake cache built in a temporary folder: blobs + relative
// snapshot links + refs/main, as huggingface_hub lays them out, and every kind of broken entry.
#include "fake_hub_cache.h"

#include "ps/hub.h"
#include "ps/human_format.h"
#include "ps/model_info.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace {

const QString kTinyLlama = QStringLiteral(PS_FIXTURES "/models/tiny-llama");

// Variables discovery reads; each test sets the ones it needs and restores them after.
const char* const kEnvVars[] = {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};

QByteArray fixtureBytes(const QString& file) {
    QFile f(kTinyLlama + QLatin1Char('/') + file);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray configWithModelType(const QByteArray& type) {
    QJsonObject config = QJsonDocument::fromJson(fixtureBytes(QStringLiteral("config.json"))).object();
    config[QStringLiteral("model_type")] = QString::fromLatin1(type);
    config[QStringLiteral("architectures")] = QJsonArray{QStringLiteral("BertForMaskedLM")};
    return QJsonDocument(config).toJson();
}

std::uint64_t fixtureFilesSize() {
    std::uint64_t total = 0;
    for (const QFileInfo& info : QDir(kTinyLlama).entryInfoList(QDir::Files))
        total += static_cast<std::uint64_t>(info.size());
    return total;
}

} // namespace

class TestHub final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        for (const char* name : kEnvVars)
            saved_[name] = qgetenv(name);
        QVERIFY(tmp_.isValid());
    }
    void init() {
        for (const char* name : kEnvVars)
            qunsetenv(name);
        qputenv("HOME", QFile::encodeName(tmp_.path() + QStringLiteral("/nohome")));
    }
    void cleanupTestCase() {
        for (const auto& [name, value] : saved_)
            value.isNull() ? qunsetenv(name.c_str()) : qputenv(name.c_str(), value);
    }

    void cacheLocation_data() {
        QTest::addColumn<QStringList>("env"); // NAME=value pairs
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("source");
        const QStringList all{QStringLiteral("HF_HUB_CACHE=/a/hub-cache"), QStringLiteral("HF_HOME=/b/hf-home"),
                              QStringLiteral("XDG_CACHE_HOME=/c/xdg"), QStringLiteral("HOME=/d/home")};
        QTest::newRow("HF_HUB_CACHE wins over HF_HOME, XDG_CACHE_HOME and HOME")
            << all << QStringLiteral("/a/hub-cache") << QStringLiteral("HF_HUB_CACHE");
        QTest::newRow("HF_HOME/hub when HF_HUB_CACHE is unset")
            << all.mid(1) << QStringLiteral("/b/hf-home/hub") << QStringLiteral("HF_HOME");
        QTest::newRow("XDG_CACHE_HOME/huggingface/hub before the home folder")
            << all.mid(2) << QStringLiteral("/c/xdg/huggingface/hub") << QStringLiteral("XDG_CACHE_HOME");
        QTest::newRow("HOME/.cache/huggingface/hub by default")
            << all.mid(3) << QStringLiteral("/d/home/.cache/huggingface/hub") << QStringLiteral("home");
        QTest::newRow("empty HF_HUB_CACHE counts as unset")
            << QStringList{QStringLiteral("HF_HUB_CACHE="), QStringLiteral("HF_HOME=/b/hf-home")}
            << QStringLiteral("/b/hf-home/hub") << QStringLiteral("HF_HOME");
        QTest::newRow("legacy HUGGINGFACE_HUB_CACHE before HF_HOME")
            << QStringList{QStringLiteral("HUGGINGFACE_HUB_CACHE=/e/legacy"), QStringLiteral("HF_HOME=/b/hf-home")}
            << QStringLiteral("/e/legacy") << QStringLiteral("HUGGINGFACE_HUB_CACHE");
        QTest::newRow("leading ~ in HF_HOME is the home folder")
            << QStringList{QStringLiteral("HF_HOME=~/hf"), QStringLiteral("HOME=/d/home")}
            << QStringLiteral("/d/home/hf/hub") << QStringLiteral("HF_HOME");
    }
    void cacheLocation() {
        QFETCH(QStringList, env);
        QFETCH(QString, expected);
        QFETCH(QString, source);
#ifdef _WIN32
        QSKIP("the rows use POSIX paths and HOME; Windows reads USERPROFILE");
#endif
        qunsetenv("HOME");
        for (const QString& pair : env) {
            const auto eq = pair.indexOf(QLatin1Char('='));
            qputenv(pair.left(eq).toLatin1().constData(), pair.mid(eq + 1).toUtf8());
        }
        const ps::HubCacheLocation location = ps::huggingFaceCacheLocation();
        QCOMPARE(QString::fromStdString(location.path), expected);
        QCOMPARE(QString::fromStdString(location.source), source);
    }

    void discoversModelFromEnvironment() {
        // The precedence above decides where discovery looks: only the HF_HUB_CACHE cache is seen.
        FakeCache chosen(tmp_.path() + QStringLiteral("/env/chosen"));
        chosen.addModelFromFixture(QStringLiteral("org/chosen"), kTinyLlama);
        FakeCache ignored(tmp_.path() + QStringLiteral("/env/hf-home/hub"));
        ignored.addModelFromFixture(QStringLiteral("org/ignored"), kTinyLlama);
        qputenv("HF_HUB_CACHE", QFile::encodeName(chosen.root()));
        qputenv("HF_HOME", QFile::encodeName(tmp_.path() + QStringLiteral("/env/hf-home")));
        auto models = ps::discoverModels({});
        QCOMPARE(models.size(), std::size_t(1));
        QCOMPARE(models[0].id, std::string("org/chosen"));

        qunsetenv("HF_HUB_CACHE");
        models = ps::discoverModels({});
        QCOMPARE(models.size(), std::size_t(1));
        QCOMPARE(models[0].id, std::string("org/ignored"));
    }

    void goodCacheModel() {
        FakeCache cache(tmp_.path() + QStringLiteral("/good"));
        cache.addModelFromFixture(QStringLiteral("HuggingFaceTB/tiny-llama"), kTinyLlama);
        // A second link to an existing blob must not count its bytes twice.
        cache.link(QStringLiteral("HuggingFaceTB/tiny-llama"), QStringLiteral("copy.safetensors"),
                   QStringLiteral("blob-model.safetensors"));

        ps::HubScanOptions options;
        options.cacheDir = str(cache.root());
        const auto models = ps::discoverModels(options);
        QCOMPARE(models.size(), std::size_t(1));
        const ps::HubModel& m = models[0];
        QCOMPARE(m.id, std::string("HuggingFaceTB/tiny-llama"));
        QCOMPARE(m.revision, std::string(kRevision));
        QCOMPARE(QString::fromStdString(m.path), cache.snapshot(QStringLiteral("HuggingFaceTB/tiny-llama")));
        QVERIFY2(!m.broken, m.reason.c_str());
        QVERIFY(m.fromCache);
        QCOMPARE(m.modelType, std::string("llama"));
        QCOMPARE(m.architecture, std::string("LlamaForCausalLM"));
        QCOMPARE(m.numParameters, ps::inspectModel(str(kTinyLlama)).numParameters);
        QVERIFY(m.numParameters > 0);
        QCOMPARE(m.sizeBytes, fixtureFilesSize());
    }

    void brokenCacheEntries_data() {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("reasonContains");
        QTest::newRow("no config.json") << QStringLiteral("org/no-config") << QStringLiteral("no config.json");
        QTest::newRow("unsupported model_type")
            << QStringLiteral("org/bert") << QStringLiteral("model_type 'bert' is not supported");
        QTest::newRow("dangling weight link")
            << QStringLiteral("org/dangling")
            << QStringLiteral("missing blobs (incomplete download): model.safetensors");
        QTest::newRow("only pytorch .bin weights")
            << QStringLiteral("org/bin-only") << QStringLiteral("no .safetensors weights, only PyTorch");
        QTest::newRow("refs/main names a missing snapshot")
            << QStringLiteral("org/missing-snapshot") << QStringLiteral("which is not in snapshots/");
        QTest::newRow("config.json is not JSON") << QStringLiteral("org/bad-json") << QStringLiteral("config.json");
        QTest::newRow("no snapshots at all") << QStringLiteral("org/empty") << QStringLiteral("no snapshots");
    }
    void brokenCacheEntries() {
        QFETCH(QString, id);
        QFETCH(QString, reasonContains);
        const QByteArray config = fixtureBytes(QStringLiteral("config.json"));
        const QByteArray weights = fixtureBytes(QStringLiteral("model.safetensors"));
        static int row = 0;
        FakeCache cache(tmp_.path() + QStringLiteral("/broken-") + QString::number(++row));
        if (id == QLatin1String("org/no-config")) {
            cache.addFile(id, QStringLiteral("model.safetensors"), weights, QStringLiteral("w"));
        } else if (id == QLatin1String("org/bert")) {
            cache.addFile(id, QStringLiteral("config.json"), configWithModelType("bert"), QStringLiteral("c"));
            cache.addFile(id, QStringLiteral("model.safetensors"), weights, QStringLiteral("w"));
        } else if (id == QLatin1String("org/dangling")) {
            cache.addFile(id, QStringLiteral("config.json"), config, QStringLiteral("c"));
            cache.link(id, QStringLiteral("model.safetensors"), QStringLiteral("never-downloaded"));
        } else if (id == QLatin1String("org/bin-only")) {
            cache.addFile(id, QStringLiteral("config.json"), config, QStringLiteral("c"));
            cache.addFile(id, QStringLiteral("pytorch_model.bin"), QByteArray("pickle"), QStringLiteral("b"));
        } else if (id == QLatin1String("org/missing-snapshot")) {
            cache.addFile(id, QStringLiteral("config.json"), config, QStringLiteral("c"));
            cache.setMainRef(id, QStringLiteral("ffffffffffffffffffffffffffffffffffffffff"));
        } else if (id == QLatin1String("org/bad-json")) {
            cache.addFile(id, QStringLiteral("config.json"), QByteArray("{\"model_type\": "), QStringLiteral("c"));
            cache.addFile(id, QStringLiteral("model.safetensors"), weights, QStringLiteral("w"));
        } else if (id == QLatin1String("org/empty")) {
            QDir().mkpath(cache.repo(id) + QStringLiteral("/blobs"));
        }
        if (id != QLatin1String("org/missing-snapshot") && id != QLatin1String("org/empty"))
            cache.setMainRef(id);

        ps::HubScanOptions options;
        options.cacheDir = str(cache.root());
        std::vector<ps::HubModel> models;
        try {
            models = ps::discoverModels(options);
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        QCOMPARE(models.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(models[0].id), id);
        QVERIFY(models[0].broken);
        QVERIFY2(QString::fromStdString(models[0].reason).contains(reasonContains), models[0].reason.c_str());
    }

    void mixedCacheSortedAndOtherRepoTypesIgnored() {
        FakeCache cache(tmp_.path() + QStringLiteral("/mixed"));
        cache.addModelFromFixture(QStringLiteral("zeta/model"), kTinyLlama);
        cache.addModelFromFixture(QStringLiteral("alpha/model"), kTinyLlama);
        cache.addFile(QStringLiteral("alpha/no-config"), QStringLiteral("x.safetensors"), "x", QStringLiteral("x"));
        cache.setMainRef(QStringLiteral("alpha/no-config"));
        QDir().mkpath(cache.root() + QStringLiteral("/datasets--org--data/snapshots/abc"));
        QDir().mkpath(cache.root() + QStringLiteral("/.locks/models--alpha--model"));
        ps::HubScanOptions options;
        options.cacheDir = str(cache.root());
        const auto models = ps::discoverModels(options);
        QCOMPARE(models.size(), std::size_t(3));
        QCOMPARE(models[0].id, std::string("alpha/model"));
        QCOMPARE(models[1].id, std::string("alpha/no-config"));
        QVERIFY(models[1].broken);
        QCOMPARE(models[2].id, std::string("zeta/model"));
        QVERIFY(!models[2].broken);
    }

    void userFolders() {
        FakeCache cache(tmp_.path() + QStringLiteral("/with-folders"));
        cache.addModelFromFixture(QStringLiteral("org/cached"), kTinyLlama);
        ps::HubScanOptions options;
        options.cacheDir = str(cache.root());
        options.folders = {str(kTinyLlama), str(tmp_.path() + QStringLiteral("/does-not-exist")),
                           str(cache.snapshot(QStringLiteral("org/cached"))), // already listed from the cache
                           str(kTinyLlama + QLatin1Char('/'))};               // same folder again
        const auto models = ps::discoverModels(options);
        QCOMPARE(models.size(), std::size_t(3));
        QCOMPARE(models[0].id, std::string("org/cached"));
        const ps::HubModel& folder = models[1];
        QCOMPARE(folder.id, std::string("tiny-llama"));
        QVERIFY(!folder.fromCache);
        QVERIFY(folder.revision.empty());
        QVERIFY2(!folder.broken, folder.reason.c_str());
        QCOMPARE(folder.sizeBytes, fixtureFilesSize());
        QCOMPARE(folder.modelType, std::string("llama"));
        QVERIFY(models[2].broken);
        QVERIFY2(models[2].reason.find("does not exist") != std::string::npos, models[2].reason.c_str());

        // Without the cache scan, a snapshot opened as a folder still gets its repo id and revision.
        options.scanCache = false;
        options.folders = {str(cache.snapshot(QStringLiteral("org/cached")))};
        const auto alone = ps::discoverModels(options);
        QCOMPARE(alone.size(), std::size_t(1));
        QCOMPARE(alone[0].id, std::string("org/cached"));
        QCOMPARE(alone[0].revision, std::string(kRevision));
    }

    void missingCacheFolderGivesNoEntries() {
        ps::HubScanOptions options;
        options.cacheDir = str(tmp_.path() + QStringLiteral("/no-such-cache"));
        QVERIFY(ps::discoverModels(options).empty());
    }

    void unreadableFolderIsBroken() {
#ifdef _WIN32
        QSKIP("POSIX permissions");
#else
        if (::geteuid() == 0)
            QSKIP("root reads every folder");
        const QString dir = tmp_.path() + QStringLiteral("/unreadable");
        QVERIFY(QDir().mkpath(dir));
        QFile::setPermissions(dir, QFileDevice::Permissions{});
        const ps::HubModel m = ps::describeModelFolder(str(dir));
        QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QVERIFY(m.broken);
        QVERIFY2(m.reason.find("cannot read") != std::string::npos, m.reason.c_str());
#endif
    }

    void jsonHasTheContractKeys() {
        ps::HubModel m = ps::describeModelFolder(str(kTinyLlama));
        ps::HubModel bad;
        bad.id = "x/y";
        bad.broken = true;
        bad.reason = "no config.json";
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(ps::hubModelsToJson({m, bad})));
        QVERIFY(doc.isArray());
        QCOMPARE(doc.array().size(), 2);
        const QJsonObject o = doc.array()[0].toObject();
        QStringList keys = o.keys();
        keys.sort();
        QStringList expected{
            QStringLiteral("id"),           QStringLiteral("revision"),   QStringLiteral("path"),
            QStringLiteral("architecture"), QStringLiteral("model_type"), QStringLiteral("num_parameters"),
            QStringLiteral("size_bytes"),   QStringLiteral("broken"),     QStringLiteral("reason")};
        expected.sort();
        QCOMPARE(keys, expected);
        QCOMPARE(o[QStringLiteral("model_type")].toString(), QStringLiteral("llama"));
        QCOMPARE(o[QStringLiteral("broken")].toBool(), false);
        QCOMPARE(doc.array()[1].toObject()[QStringLiteral("reason")].toString(), QStringLiteral("no config.json"));
    }

    void cliModelsJson() {
        FakeCache cache(tmp_.path() + QStringLiteral("/cli"));
        cache.addModelFromFixture(QStringLiteral("org/tiny"), kTinyLlama);
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HF_HUB_CACHE"), cache.root());
        cli.setProcessEnvironment(env);
        cli.start(QStringLiteral(PS_CLI), {QStringLiteral("models"), QStringLiteral("--json"),
                                           QStringLiteral("--folder"), QStringLiteral("/no/such/folder")});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const QJsonArray array = QJsonDocument::fromJson(cli.readAllStandardOutput()).array();
        QCOMPARE(array.size(), 2);
        QCOMPARE(array[0].toObject()[QStringLiteral("id")].toString(), QStringLiteral("org/tiny"));
        QCOMPARE(array[0].toObject()[QStringLiteral("revision")].toString(), QLatin1String(kRevision));
        QCOMPARE(array[1].toObject()[QStringLiteral("broken")].toBool(), true);

        cli.start(QStringLiteral(PS_CLI), {QStringLiteral("models")});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const QString table = QString::fromUtf8(cli.readAllStandardOutput());
        QVERIFY2(table.contains(QStringLiteral("org/tiny")) && table.contains(QStringLiteral("LlamaForCausalLM")),
                 qPrintable(table));
    }

    void humanFormats_data() {
        QTest::addColumn<qint64>("value");
        QTest::addColumn<bool>("bytes");
        QTest::addColumn<QString>("expected");
        QTest::newRow("small count") << qint64(999) << false << QStringLiteral("999");
        QTest::newRow("thousands") << qint64(220416) << false << QStringLiteral("220K");
        QTest::newRow("SmolLM-135M") << qint64(134515008) << false << QStringLiteral("135M");
        QTest::newRow("one decimal below ten") << qint64(1100048384) << false << QStringLiteral("1.1B");
        QTest::newRow("whole seven billion") << qint64(7000000000) << false << QStringLiteral("7B");
        QTest::newRow("rounding up to the next unit") << qint64(999600) << false << QStringLiteral("1M");
        QTest::newRow("bytes") << qint64(12) << true << QStringLiteral("12 B");
        QTest::newRow("SmolLM-135M fp32 weights") << qint64(538090408) << true << QStringLiteral("538 MB");
        QTest::newRow("kilobytes") << qint64(884072) << true << QStringLiteral("884 KB");
        QTest::newRow("gigabytes") << qint64(14483498000) << true << QStringLiteral("14 GB");
    }
    void humanFormats() {
        QFETCH(qint64, value);
        QFETCH(bool, bytes);
        QFETCH(QString, expected);
        const std::string s =
            bytes ? ps::formatByteSize(static_cast<std::uint64_t>(value)) : ps::formatParameterCount(value);
        QCOMPARE(QString::fromStdString(s), expected);
    }

private:
    QTemporaryDir tmp_;
    std::map<std::string, QByteArray> saved_;
};

QTEST_APPLESS_MAIN(TestHub)
#include "tst_hub.moc"
