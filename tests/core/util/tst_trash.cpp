// moveToTrash on Linux: the freedesktop.org Trash specification, checked on a home trash made in a
// temporary folder (XDG_DATA_HOME points there). The Windows Recycle Bin implementation is only
// compiled on Windows.
#include "ps/error.h"
#include "ps/trash.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#ifndef _WIN32
#include "util/freedesktop_trash.h"

#include <sys/stat.h>
#include <unistd.h>
#endif

namespace {

bool writeText(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

QByteArray readText(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::string toStd(const QString& s) {
    return s.toStdString();
}

} // namespace

class TestTrash final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
#ifdef _WIN32
        QSKIP("the freedesktop trash is not used on Windows");
#endif
        savedXdg_ = qgetenv("XDG_DATA_HOME");
    }
    void cleanupTestCase() {
        if (savedXdg_.isEmpty())
            qunsetenv("XDG_DATA_HOME");
        else
            qputenv("XDG_DATA_HOME", savedXdg_);
    }
    void init() {
        tmp_ = std::make_unique<QTemporaryDir>();
        QVERIFY(tmp_->isValid());
        qputenv("XDG_DATA_HOME", QFile::encodeName(dataHome()));
    }

#ifndef _WIN32
    void percentEncoding_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("encoded");
        QTest::newRow("plain path keeps slashes")
            << QStringLiteral("/home/u/runs/a-b_c.d~") << QStringLiteral("/home/u/runs/a-b_c.d~");
        QTest::newRow("space and percent")
            << QStringLiteral("/tmp/my run 100%") << QStringLiteral("/tmp/my%20run%20100%25");
        QTest::newRow("reserved characters") << QStringLiteral("/a#b?c&d=e") << QStringLiteral("/a%23b%3Fc%26d%3De");
        QTest::newRow("utf-8 bytes") << QStringLiteral("/tmp/caf\u00e9") << QStringLiteral("/tmp/caf%C3%A9");
    }
    void percentEncoding() {
        QFETCH(QString, path);
        QFETCH(QString, encoded);
        QCOMPARE(QString::fromStdString(ps::trash::percentEncodePath(toStd(path))), encoded);
        QCOMPARE(QString::fromStdString(ps::trash::percentDecode(toStd(encoded))), path);
    }

    void badPercentEscapeIsAnError() {
        QVERIFY_THROWS_EXCEPTION(ps::Error, ps::trash::percentDecode("/tmp/a%2"));
        QVERIFY_THROWS_EXCEPTION(ps::Error, ps::trash::percentDecode("/tmp/a%zz"));
    }

    void candidateNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("n");
        QTest::addColumn<QString>("expected");
        QTest::newRow("first try is the name itself")
            << QStringLiteral("notes.txt") << 1 << QStringLiteral("notes.txt");
        QTest::newRow("counter before the extension")
            << QStringLiteral("notes.txt") << 2 << QStringLiteral("notes.2.txt");
        QTest::newRow("folder without extension")
            << QStringLiteral("20261127-lora-demo") << 3 << QStringLiteral("20261127-lora-demo.3");
        QTest::newRow("hidden file") << QStringLiteral(".config") << 2 << QStringLiteral(".config.2");
    }
    void candidateNames() {
        QFETCH(QString, name);
        QFETCH(int, n);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(ps::trash::candidateName(toStd(name), n)), expected);
    }

    void homeTrashFollowsXdgDataHome() {
        QCOMPARE(QString::fromStdString(ps::trash::homeTrashDir()), dataHome() + QStringLiteral("/Trash"));
        qputenv("XDG_DATA_HOME", "relative/dir"); // not absolute: ignored, as the XDG spec says
        QCOMPARE(QString::fromStdString(ps::trash::homeTrashDir()),
                 QString::fromLocal8Bit(qgetenv("HOME")) + QStringLiteral("/.local/share/Trash"));
    }

    void fileMovesWithInfoFile() {
        const QString file = work() + QStringLiteral("/my run 100%.txt");
        QVERIFY(writeText(file, "loss 1.0\n"));
        const QDateTime before = QDateTime::currentDateTime().addSecs(-1);

        const QString trashed = QString::fromStdString(ps::moveToTrash(toStd(file)));

        QCOMPARE(trashed, trash() + QStringLiteral("/files/my run 100%.txt"));
        QVERIFY(!QFileInfo::exists(file));
        QCOMPARE(readText(trashed), QByteArray("loss 1.0\n"));
        const QByteArray info = readText(trash() + QStringLiteral("/info/my run 100%.txt.trashinfo"));
        const QList<QByteArray> lines = info.split('\n');
        QCOMPARE(lines.size(), 4); // three lines and the final newline
        QCOMPARE(lines[0], QByteArray("[Trash Info]"));
        QCOMPARE(lines[1], "Path=" + QByteArray::fromStdString(ps::trash::percentEncodePath(toStd(file))));
        QVERIFY2(lines[2].startsWith("DeletionDate="), info.constData());
        const QDateTime when = QDateTime::fromString(QString::fromLatin1(lines[2].mid(13)), Qt::ISODate);
        QVERIFY2(when.isValid() && when >= before && when <= QDateTime::currentDateTime().addSecs(1), info.constData());
    }

    void trashFoldersArePrivate() {
        const QString file = work() + QStringLiteral("/a.txt");
        QVERIFY(writeText(file, "a"));
        ps::moveToTrash(toStd(file));
        for (const QString& dir : {trash(), trash() + QStringLiteral("/files"), trash() + QStringLiteral("/info")}) {
            struct stat st {};
            QCOMPARE(::stat(QFile::encodeName(dir).constData(), &st), 0);
            QCOMPARE(st.st_mode & 0777, mode_t(0700));
        }
    }

    void folderMovesWithItsContents() {
        const QString run = work() + QStringLiteral("/runs/20261127-lora-demo/");
        QVERIFY(writeText(run + QStringLiteral("adapter/adapter_config.json"), "{}"));
        QVERIFY(writeText(run + QStringLiteral("metrics.jsonl"), "{}\n"));

        const QString trashed = QString::fromStdString(ps::moveToTrash(toStd(run))); // trailing slash too

        QCOMPARE(trashed, trash() + QStringLiteral("/files/20261127-lora-demo"));
        QVERIFY(!QFileInfo::exists(run));
        QVERIFY(QFileInfo::exists(trashed + QStringLiteral("/adapter/adapter_config.json")));
        QVERIFY(QFileInfo::exists(trash() + QStringLiteral("/info/20261127-lora-demo.trashinfo")));
    }

    void sameNameGetsANumber() {
        const QString first = work() + QStringLiteral("/one/notes.txt");
        const QString second = work() + QStringLiteral("/two/notes.txt");
        const QString third = work() + QStringLiteral("/three/notes.txt");
        for (const QString& f : {first, second, third})
            QVERIFY(writeText(f, f.toUtf8()));
        ps::moveToTrash(toStd(first));
        const QString two = QString::fromStdString(ps::moveToTrash(toStd(second)));
        const QString three = QString::fromStdString(ps::moveToTrash(toStd(third)));

        QCOMPARE(two, trash() + QStringLiteral("/files/notes.2.txt"));
        QCOMPARE(three, trash() + QStringLiteral("/files/notes.3.txt"));
        QCOMPARE(readText(two), second.toUtf8());
        QVERIFY(readText(trash() + QStringLiteral("/info/notes.2.txt.trashinfo"))
                    .contains("Path=" + QByteArray::fromStdString(ps::trash::percentEncodePath(toStd(second)))));
    }

    void nameLeftInFilesWithoutInfoIsNotReused() {
        QVERIFY(writeText(trash() + QStringLiteral("/files/report.txt"), "left by another tool"));
        const QString file = work() + QStringLiteral("/report.txt");
        QVERIFY(writeText(file, "ours"));
        QCOMPARE(QString::fromStdString(ps::moveToTrash(toStd(file))), trash() + QStringLiteral("/files/report.2.txt"));
        QCOMPARE(readText(trash() + QStringLiteral("/files/report.txt")), QByteArray("left by another tool"));
    }

    void symbolicLinkIsTrashedNotItsTarget() {
        const QString target = work() + QStringLiteral("/model.safetensors");
        const QString link = work() + QStringLiteral("/link.safetensors");
        QVERIFY(writeText(target, "weights"));
        QVERIFY(QFile::link(target, link));
        const QString trashed = QString::fromStdString(ps::moveToTrash(toStd(link)));
        QVERIFY(QFileInfo(trashed).isSymLink());
        QVERIFY(QFileInfo::exists(target));
        QVERIFY(!QFileInfo(link).isSymLink());
    }

    // An item on another file system goes to that file system's $topdir/.Trash-$uid, with the
    // path recorded relative to $topdir. /dev/shm (tmpfs) serves as the other file system.
    void otherFileSystemUsesItsTopdirTrash() {
        struct stat shm {};
        struct stat home {};
        if (::stat("/dev/shm", &shm) != 0 || ::stat(QFile::encodeName(tmp_->path()).constData(), &home) != 0 ||
            shm.st_dev == home.st_dev || ::access("/dev/shm", W_OK) != 0)
            QSKIP("no writable /dev/shm on another file system than the temporary folder");
        const QString topTrash = QStringLiteral("/dev/shm/.Trash-%1").arg(::getuid());
        const bool trashExisted = QFileInfo::exists(topTrash);
        QTemporaryDir other(QStringLiteral("/dev/shm/tst_trash-XXXXXX"));
        QVERIFY(other.isValid());
        const QString file = other.path() + QStringLiteral("/run log.txt");
        QVERIFY(writeText(file, "x"));

        const QString trashed = QString::fromStdString(ps::moveToTrash(toStd(file)));

        const QString name = QFileInfo(trashed).fileName();
        const QString info = topTrash + QStringLiteral("/info/") + name + QStringLiteral(".trashinfo");
        const QByteArray infoText = readText(info);
        if (trashExisted) {
            QFile::remove(trashed);
            QFile::remove(info);
        } else {
            QDir(topTrash).removeRecursively();
        }
        QCOMPARE(QFileInfo(trashed).absolutePath(), topTrash + QStringLiteral("/files"));
        const QString relative = QDir(QStringLiteral("/dev/shm")).relativeFilePath(file);
        QVERIFY2(infoText.contains(
                     "\nPath=" + QByteArray::fromStdString(ps::trash::percentEncodePath(toStd(relative))) + "\n"),
                 infoText.constData());
        QVERIFY(!QFileInfo::exists(file));
    }

    void missingPathIsAnErrorNamingIt() {
        const std::string missing = toStd(work() + QStringLiteral("/not-there"));
        try {
            ps::moveToTrash(missing);
            QFAIL("no error for a missing path");
        } catch (const ps::Error& e) {
            QVERIFY2(std::string(e.what()).find(missing) != std::string::npos, e.what());
        }
        QVERIFY(!QFileInfo::exists(trash() + QStringLiteral("/info/not-there.trashinfo")));
    }

    void rootAndDotsAreRefused_data() {
        QTest::addColumn<QString>("path"); // under the temporary folder, so that a bug trashes nothing real
        QTest::newRow("root") << QStringLiteral("/");
        QTest::newRow("empty") << QString();
        QTest::newRow("dot dot") << QStringLiteral("{work}/sub/..");
        QTest::newRow("dot") << QStringLiteral("{work}/.");
        QTest::newRow("dot with slash") << QStringLiteral("{work}/./");
    }
    void rootAndDotsAreRefused() {
        QFETCH(QString, path);
        QVERIFY(QDir().mkpath(work() + QStringLiteral("/sub")));
        path.replace(QStringLiteral("{work}"), work());
        QVERIFY_THROWS_EXCEPTION(ps::Error, ps::moveToTrash(toStd(path)));
        QVERIFY(QFileInfo::exists(work() + QStringLiteral("/sub")));
    }
#endif

private:
    QString dataHome() const {
        return tmp_->path() + QStringLiteral("/data");
    }
    QString trash() const {
        return dataHome() + QStringLiteral("/Trash");
    }
    QString work() const {
        return tmp_->path() + QStringLiteral("/work");
    }

    std::unique_ptr<QTemporaryDir> tmp_;
    QByteArray savedXdg_;
};

QTEST_APPLESS_MAIN(TestTrash)
#include "tst_trash.moc"
