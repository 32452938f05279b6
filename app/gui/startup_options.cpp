#include "startup_options.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

namespace ps::ui {

StartupOptions parseStartupOptions(const QCoreApplication& app) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "PEFT Studio: parameter-efficient fine-tuning of Hugging Face language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption model(QStringLiteral("model"),
                                   QCoreApplication::translate("main", "Open the model folder DIR."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption page(QStringLiteral("page"),
                                  QCoreApplication::translate("main", "Start on page NAME (%1).").arg(pageNames()),
                                  QStringLiteral("NAME"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QCoreApplication::translate("main", "When the window is shown and its work is done, save it as a PNG to FILE "
                                            "and exit."),
        QStringLiteral("FILE"));
    const QCommandLineOption demo(
        QStringLiteral("demo"), QCoreApplication::translate("main", "Open the demo model and the demo run settings."));
    const QCommandLineOption autorun(
        QStringLiteral("autorun"),
        QCoreApplication::translate("main", "Start training with the run settings at once (e.g. with --demo)."));
    const QCommandLineOption maxSteps(
        QStringLiteral("max-steps"),
        QCoreApplication::translate("main", "Train at most N optimizer steps (sets max_steps in the run settings)."),
        QStringLiteral("N"));
    const QCommandLineOption compareAll(
        QStringLiteral("compare-all"),
        QCoreApplication::translate("main",
                                    "Select every run on the Runs page, so that its comparison shows them all."));
    const QCommandLineOption quitWhenDone(QStringLiteral("quit-when-done"),
                                          QCoreApplication::translate("main", "Exit once pending work has finished."));
    const QCommandLineOption settings(
        QStringLiteral("settings"),
        QCoreApplication::translate("main", "Keep settings in the INI file FILE instead of the user's settings."),
        QStringLiteral("FILE"));
    const QCommandLineOption adapter(
        QStringLiteral("adapter"),
        QCoreApplication::translate("main", "Use the run or adapter folder DIR on the Playground and Export pages."),
        QStringLiteral("DIR"));
    const QCommandLineOption base(
        QStringLiteral("base"),
        QCoreApplication::translate("main", "The base model folder for --adapter (default: the run's model)."),
        QStringLiteral("DIR"));
    const QCommandLineOption prompt(QStringLiteral("prompt"),
                                    QCoreApplication::translate("main", "Put TEXT in the Playground's prompt."),
                                    QStringLiteral("TEXT"));
    const QCommandLineOption generate(
        QStringLiteral("generate"),
        QCoreApplication::translate("main", "Generate in the Playground at once, base and adapter side by side."));
    const QCommandLineOption chat(
        QStringLiteral("chat"),
        QCoreApplication::translate("main", "Start the Playground in chat mode (--prompt is the first message)."));
    parser.addOptions(
        {model, page, screenshot, demo, autorun, maxSteps, compareAll, quitWhenDone, settings, adapter, base, prompt, generate,
         chat});
    // What the desktop entry (Exec=peft-studio %f) and the file association pass.
    parser.addPositionalArgument(QStringLiteral("CONFIG"),
                                 QCoreApplication::translate("main", "A run configuration (.yaml) to open."),
                                 QStringLiteral("[CONFIG.yaml]"));
    parser.process(app);

    StartupOptions out;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        out.error = QCoreApplication::translate("main", "unexpected argument '%1' (one run configuration at most)")
                        .arg(positional.at(1));
    else if (positional.size() == 1)
        out.configFile = positional.first();
    out.modelDir = parser.value(model);
    if (parser.isSet(page)) {
        out.page = pageFromName(parser.value(page));
        if (!out.page)
            out.error = QCoreApplication::translate("main", "unknown page '%1' (pages: %2)")
                            .arg(parser.value(page), pageNames());
    }
    out.screenshotFile = parser.value(screenshot);
    if (!out.screenshotFile.isEmpty())
        out.screenshotFile = QFileInfo(out.screenshotFile).absoluteFilePath();
    out.settingsFile = parser.value(settings);
    out.demo = parser.isSet(demo);
    out.quitWhenDone = parser.isSet(quitWhenDone);
    out.autorun = parser.isSet(autorun);
    out.compareAll = parser.isSet(compareAll);
    if (parser.isSet(maxSteps)) {
        bool ok = false;
        out.maxSteps = parser.value(maxSteps).toLongLong(&ok);
        if (!ok || out.maxSteps < 1)
            out.error = QCoreApplication::translate("main", "--max-steps needs a whole number of steps >= 1, not '%1'")
                            .arg(parser.value(maxSteps));
    }
    if (parser.isSet(adapter))
        out.adapter = QFileInfo(parser.value(adapter)).absoluteFilePath();
    if (parser.isSet(base))
        out.baseDir = QFileInfo(parser.value(base)).absoluteFilePath();
    out.prompt = parser.value(prompt);
    out.generate = parser.isSet(generate);
    out.chat = parser.isSet(chat);
    if (out.generate && out.prompt.isEmpty())
        out.error = QCoreApplication::translate("main", "--generate needs --prompt TEXT");
    return out;
}

} // namespace ps::ui
