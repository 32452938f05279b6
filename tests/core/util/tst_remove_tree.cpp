// removeTree: removes nested folders and files, removes symbolic links without following them,
// treats a missing path as done, and removes a single file.
#include "util/file_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

namespace fs = std::filesystem;

class TestRemoveTree : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void removesTreeButNotLinkTargets() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const fs::path keep = root / "keep";
        fs::create_directories(keep);
        std::ofstream(keep / "precious.txt") << "x";
        const fs::path tree = root / "tree";
        fs::create_directories(tree / "a" / "b" / "c");
        for (const auto& d : {tree, tree / "a", tree / "a" / "b" / "c"})
            std::ofstream(d / "f.bin") << "data";
        fs::create_directory_symlink(keep, tree / "a" / "link-to-keep");
        std::error_code ec;
        ps::removeTree(tree, ec);
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY(!fs::exists(tree));
        QVERIFY(fs::exists(keep / "precious.txt")); // the link was removed, not followed

        ps::removeTree(tree, ec); // already gone
        QVERIFY(!ec);
        ps::removeTree(keep / "precious.txt", ec); // a single file
        QVERIFY(!ec);
        QVERIFY(!fs::exists(keep / "precious.txt"));
        QVERIFY(fs::exists(keep));
    }
};

QTEST_APPLESS_MAIN(TestRemoveTree)
#include "tst_remove_tree.moc"
