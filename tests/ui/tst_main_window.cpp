// The main window shell: pages in sidebar order, Ctrl+1..7, honest placeholders, and the
// window state saved to and restored from settings.
#include "app_settings.h"
#include "main_window.h"
#include "data_page.h"
#include "export_page.h"
#include "method_page.h"
#include "model_page.h"
#include "playground_page.h"
#include "runs_page.h"
#include "train_page.h"
#include "sidebar.h"
#include "studio_pages.h"

#include "ps/run_config.h"

#include <QLabel>
#include <QListWidget>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QHeaderView>
#include <QTableView>
#include <QtTest>

using namespace ps::ui;

class TestMainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QDir().mkpath(tmp_.path() + QStringLiteral("/empty-cache"));
        qputenv("HF_HUB_CACHE", QFile::encodeName(tmp_.path() + QStringLiteral("/empty-cache")));
        qputenv("PEFT_STUDIO_RUNS", QFile::encodeName(tmp_.path() + QStringLiteral("/runs"))); // not the user's
    }
    void cleanup() { QThreadPool::globalInstance()->waitForDone(); }

    void pageNamesRoundTrip_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("index");
        QTest::newRow("model") << QStringLiteral("model") << 0;
        QTest::newRow("upper case Train") << QStringLiteral("Train") << 3;
        QTest::newRow("export") << QStringLiteral("export") << 6;
        QTest::newRow("unknown") << QStringLiteral("settings") << -1;
    }
    void pageNamesRoundTrip() {
        QFETCH(QString, name);
        QFETCH(int, index);
        const auto page = pageFromName(name);
        QCOMPARE(page ? static_cast<int>(*page) : -1, index);
        if (page)
            QCOMPARE(pageName(*page), name.toLower());
    }

    void shortcutsSwitchPages() {
        AppSettings settings(tmp_.path() + QStringLiteral("/shortcuts.ini"));
        MainWindow window(settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        for (int i = kStudioPageCount - 1; i >= 0; --i) {
            QTest::keyClick(&window, static_cast<Qt::Key>(Qt::Key_1 + i), Qt::ControlModifier);
            QCOMPARE(static_cast<int>(window.currentPage()), i);
            QCOMPARE(window.sidebar()->list()->currentRow(), i);
        }
        QTRY_VERIFY(!window.isBusy());
    }

    // Every sidebar entry opens its own page (no page is a stand-in), and the sidebar row, the
    // stacked page and setCurrentPage() agree for each of them.
    void everySidebarEntryOpensItsPage() {
        AppSettings settings(tmp_.path() + QStringLiteral("/pages.ini"));
        MainWindow window(settings);
        const QWidget* expected[kStudioPageCount] = {window.modelPage(), window.dataPage(),   window.methodPage(),
                                                     window.trainPage(), window.runsPage(),   window.playgroundPage(),
                                                     window.exportPage()};
        QSet<const QWidget*> distinct;
        for (int i = 0; i < kStudioPageCount; ++i) {
            const auto page = static_cast<StudioPage>(i);
            QVERIFY2(expected[i], qPrintable(pageName(page)));
            QCOMPARE(static_cast<const QWidget*>(window.pageWidget(page)), expected[i]);
            distinct.insert(expected[i]);
            window.setCurrentPage(page);
            QCOMPARE(window.currentPage(), page);
        }
        QCOMPARE(distinct.size(), kStudioPageCount);
        QTRY_VERIFY(!window.isBusy());
    }

    void lastPageAndGeometryAreRestored() {
        const QString file = tmp_.path() + QStringLiteral("/restore.ini");
        {
            AppSettings settings(file);
            MainWindow window(settings);
            window.resize(900, 640);
            window.show();
            window.setCurrentPage(StudioPage::Runs);
            QTRY_VERIFY(!window.isBusy());
            window.runsPage()->table()->horizontalHeader()->resizeSection(0, 271);
            window.close(); // closeEvent saves
        }
        AppSettings settings(file);
        QCOMPARE(settings.lastPage(), QStringLiteral("runs"));
        MainWindow window(settings);
        window.restoreFromSettings();
        QCOMPARE(window.currentPage(), StudioPage::Runs);
        QCOMPARE(window.size(), QSize(900, 640));
        QCOMPARE(window.runsPage()->table()->horizontalHeader()->sectionSize(0), 271); // Runs page layout
        QTRY_VERIFY(!window.isBusy());
    }

    // The restored settings' output folder is where the Runs page looks.
    void runsPageShowsTheRestoredOutputFolder() {
        const QString file = tmp_.path() + QStringLiteral("/output-dir.ini");
        const QString own = tmp_.path() + QStringLiteral("/own-runs");
        {
            AppSettings settings(file);
            ps::RunConfig c;
            c.output_dir = own.toStdString();
            settings.setDraftYaml(QString::fromStdString(ps::runConfigToYaml(c)));
            settings.sync();
        }
        AppSettings settings(file);
        MainWindow window(settings);
        window.restoreFromSettings();
        QCOMPARE(window.runsPage()->runsRoot(), own);
        QTRY_VERIFY(!window.isBusy());
    }

private:
    QTemporaryDir tmp_;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
