// peft-studio — the desktop app.
#include "app_settings.h"
#include "demo_setup.h"
#include "error_banner.h"
#include "export_page.h"
#include "main_window.h"
#include "model_page.h"
#include "playground_page.h"
#include "run_config_files.h"
#include "run_draft.h"
#include "runs_page.h"
#include "train_page.h"
#include "startup_options.h"

#include "ps/system_info.h"
#include "ps/version.h"

#include <QApplication>
#include <QDir>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QPixmap>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <memory>

namespace {

using ps::ui::MainWindow;

// Calls `done` once the window has had no background work for a short settling time (so that
// results have been laid out and painted). Used by --screenshot and --quit-when-done.
void whenIdle(MainWindow& window, std::function<void()> done) {
    auto* settle = new QTimer(&window);
    settle->setSingleShot(true);
    settle->setInterval(200);
    QObject::connect(settle, &QTimer::timeout, &window, [&window, settle, done] {
        if (window.isBusy())
            return; // busyChanged(false) restarts the timer
        settle->deleteLater();
        done();
    });
    QObject::connect(&window, &MainWindow::busyChanged, settle, [settle](bool busy) {
        if (busy)
            settle->stop();
        else
            settle->start();
    });
    if (!window.isBusy())
        settle->start();
}

} // namespace

int main(int argc, char** argv) {
    ps::prepareBlasPool(); // before any other thread or product (ps/system_info.h)
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PEFT Studio"));
    QApplication::setApplicationName(QStringLiteral("peft-studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("PEFT Studio"));
    QApplication::setApplicationVersion(QString::fromStdString(ps::studioVersion()));
    // The installed desktop entry (resources/linux/io.github.peftstudio.PeftStudio.desktop), so that
    // Wayland compositors show its name and icon for the window.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.peftstudio.PeftStudio"));

    const ps::ui::StartupOptions options = ps::ui::parseStartupOptions(app);
    if (!options.error.isEmpty()) {
        std::fprintf(stderr, "peft-studio: error: %s\n", qPrintable(options.error));
        return 2;
    }

    auto settings = options.settingsFile.isEmpty() ? std::make_unique<ps::ui::AppSettings>()
                                                   : std::make_unique<ps::ui::AppSettings>(options.settingsFile);
    MainWindow window(*settings);
    // Screenshots use the default window size so that they do not depend on the last session.
    window.restoreFromSettings(options.screenshotFile.isEmpty());
    if (!options.modelDir.isEmpty()) {
        window.setCurrentPage(ps::ui::StudioPage::Model);
        window.modelPage()->openFolder(QDir(options.modelDir).absolutePath());
    } else if (options.demo) {
        window.setCurrentPage(ps::ui::StudioPage::Model);
    }
    if (!options.configFile.isEmpty()) {
        // A run configuration opened from a file manager: its model, data and settings.
        const QString error = ps::ui::loadDraftFromYaml(*window.draft(), options.configFile);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "peft-studio: error: %s\n", qPrintable(error));
            return 2;
        }
        window.setCurrentPage(ps::ui::StudioPage::Train);
    }
    if (options.compareAll) {
        window.runsPage()->selectAllWhenLoaded();
        if (!options.page)
            window.setCurrentPage(ps::ui::StudioPage::Runs);
    }
    if (!options.adapter.isEmpty()) {
        window.playgroundPage()->setAdapterSource(options.adapter);
        window.exportPage()->setSource(options.adapter);
    }
    if (!options.baseDir.isEmpty()) {
        window.playgroundPage()->setBaseDir(options.baseDir);
        window.exportPage()->setBaseDir(options.baseDir);
    }
    if (options.chat)
        window.playgroundPage()->setChatMode(true);
    if (!options.prompt.isEmpty())
        window.playgroundPage()->setPrompt(options.prompt);
    if (options.page)
        window.setCurrentPage(*options.page);
    else if (options.generate)
        window.setCurrentPage(ps::ui::StudioPage::Playground);
    window.show();
    if (options.generate)
        window.playgroundPage()->generate(); // deferred by the page until the adapter is resolved

    int exitCode = 0;
    const auto autorun = [&window, &exitCode, &options] {
        if (options.maxSteps > 0) { // after the demo's or the file's settings are in
            ps::RunConfig c = window.draft()->config();
            c.max_steps = options.maxSteps;
            window.draft()->setConfig(c);
        }
        if (!options.autorun)
            return;
        ps::ui::TrainPage* train = window.trainPage();
        if (!options.page)
            window.setCurrentPage(ps::ui::StudioPage::Train);
        // A failed run makes the exit code non-zero, for scripts and tests.
        QObject::connect(train, &ps::ui::TrainPage::runFinished, &window, [&exitCode](const ps::RunSummary& summary) {
            if (summary.status == ps::RunStatus::Completed) {
                std::printf("peft-studio: run completed: %s\n", summary.runDir.c_str());
            } else {
                std::fprintf(stderr, "peft-studio: run %s: %s\n", ps::runStatusName(summary.status),
                             summary.error.empty() ? summary.runDir.c_str() : summary.error.c_str());
                exitCode = 1;
            }
            std::fflush(stdout);
        });
        if (!train->start()) {
            std::fprintf(stderr, "peft-studio: error: training cannot start: %s\n",
                         qPrintable(train->errorBanner()->message()));
            exitCode = 1;
        }
    };
    if (options.demo && options.modelDir.isEmpty() && options.configFile.isEmpty()) {
        // The demo model is created (and briefly pre-trained, ~30 s) on first use: on a worker
        // thread, so the window is up and responsive meanwhile; --autorun waits for it.
        const auto applyDemo = [&window, &exitCode, &options, autorun](const ps::ui::DemoSetup& demo) {
            window.setPreparing({});
            if (!demo.ok()) {
                std::fprintf(stderr, "peft-studio: warning: the demo cannot be set up: %s\n", qPrintable(demo.error));
                if (options.autorun)
                    exitCode = 1;
                return;
            }
            window.modelPage()->openFolder(demo.modelDir);
            window.draft()->setConfig(ps::ui::demoConfig(demo));
            autorun();
        };
        const ps::ui::DemoSetup found = ps::ui::findDemo();
        if (!found.ok() || !found.modelDir.isEmpty()) {
            applyDemo(found);
        } else {
            window.setPreparing(QObject::tr("Preparing the demo model (first use: about half a minute)..."));
            auto* watcher = new QFutureWatcher<ps::ui::DemoSetup>(&window);
            QObject::connect(watcher, &QFutureWatcher<ps::ui::DemoSetup>::finished, &window, [watcher, applyDemo] {
                applyDemo(watcher->result());
                watcher->deleteLater();
            });
            watcher->setFuture(QtConcurrent::run([] { return ps::ui::prepareDemo(); }));
        }
    } else {
        autorun();
    }
    if (!options.screenshotFile.isEmpty()) {
        whenIdle(window, [&window, &exitCode, file = options.screenshotFile] {
            const QPixmap shot = window.grab();
            if (!shot.save(file, "PNG")) {
                std::fprintf(stderr, "peft-studio: error: cannot write the screenshot to %s\n", qPrintable(file));
                exitCode = 1;
            }
            // No close(): a screenshot run should not overwrite the saved window layout.
            QApplication::exit(exitCode);
        });
    } else if (options.quitWhenDone) {
        whenIdle(window, [&window, &exitCode] {
            window.close();
            QApplication::exit(exitCode);
        });
    }
    const int rc = QApplication::exec();
    return rc != 0 ? rc : exitCode;
}
