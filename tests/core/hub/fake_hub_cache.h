#pragma once
// A fake Hugging Face hub cache in a temporary folder, laid out as huggingface_hub writes it:
// models--org--name/{blobs/<blob>, snapshots/<rev>/<file> -> ../../blobs/<blob>, refs/main}.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QtTest>

#include <filesystem>
#include <string>

inline const char* const kRevision = "0123456789abcdef0123456789abcdef01234567";

inline std::string str(const QString& s) {
    return s.toStdString();
}

// A fake hub cache. Each model is `models--org--name/{blobs,snapshots/<rev>,refs/main}`.
class FakeCache final {
public:
    explicit FakeCache(const QString& root) : root_(root) { QDir().mkpath(root_); }

    QString repo(const QString& id) const {
        QString name = id;
        name.replace(QLatin1Char('/'), QStringLiteral("--"));
        return root_ + QStringLiteral("/models--") + name;
    }
    QString snapshot(const QString& id, const QString& rev = QLatin1String(kRevision)) const {
        return repo(id) + QStringLiteral("/snapshots/") + rev;
    }

    // Stores `data` as blob `blob` and links snapshots/<rev>/<file> to it (relative, like HF).
    void addFile(const QString& id, const QString& file, const QByteArray& data, const QString& blob) {
        const QString blobs = repo(id) + QStringLiteral("/blobs");
        QDir().mkpath(blobs);
        QFile f(blobs + QLatin1Char('/') + blob);
        if (!f.exists()) {
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
        }
        link(id, file, blob);
    }
    void link(const QString& id, const QString& file, const QString& blob) {
        QDir().mkpath(snapshot(id));
        std::error_code ec;
        std::filesystem::create_symlink(std::filesystem::path("../../blobs") / str(blob),
                                        std::filesystem::path(str(snapshot(id) + QLatin1Char('/') + file)), ec);
        QVERIFY2(!ec, ec.message().c_str());
    }
    void setMainRef(const QString& id, const QString& rev = QLatin1String(kRevision)) {
        QDir().mkpath(repo(id) + QStringLiteral("/refs"));
        QFile f(repo(id) + QStringLiteral("/refs/main"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(rev.toUtf8()); // huggingface_hub writes no trailing newline
    }
    // Copies a fixture model folder in as blobs + links, blob named after the file.
    void addModelFromFixture(const QString& id, const QString& fixture) {
        for (const QString& name : QDir(fixture).entryList(QDir::Files)) {
            QFile in(fixture + QLatin1Char('/') + name);
            QVERIFY(in.open(QIODevice::ReadOnly));
            addFile(id, name, in.readAll(), QStringLiteral("blob-") + name);
        }
        setMainRef(id);
    }
    QString root() const { return root_; }

private:
    QString root_;
};
