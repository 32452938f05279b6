#include "demo_setup.h"

#include "qt_convert.h"
#include "resource_paths.h"

#include "ps/demo.h"
#include "ps/trainer.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>

#include <exception>

namespace ps::ui {

namespace {

// The pre-training run is an implementation detail of the demo model: nothing to show.
class SilentObserver final : public ps::TrainerObserver {};

QString missingResource(const QString& what) {
    return QObject::tr("the demo %1 is missing from %2").arg(what, resourceDirs().join(QStringLiteral(", ")));
}

} // namespace

DemoSetup findDemo() {
    DemoSetup out;
    out.dataset = findResource(QStringLiteral("demo/instructions.jsonl"));
    if (out.dataset.isEmpty()) {
        out.error = missingResource(QStringLiteral("data (demo/instructions.jsonl)"));
        return out;
    }
    out.modelDir = demoModelDir(); // bundled with this build
    if (!out.modelDir.isEmpty())
        return out;
    if (ps::demoModelReady()) // else prepareDemo() (re)creates it
        out.modelDir = toQ(ps::demoModelDir());
    return out;
}

DemoSetup prepareDemo(std::int64_t pretrainSteps) {
    DemoSetup out = findDemo();
    if (!out.ok() || !out.modelDir.isEmpty())
        return out;
    const QString tokenizer = findResource(QStringLiteral("demo/tokenizer"));
    if (tokenizer.isEmpty()) {
        out.error = missingResource(QStringLiteral("tokenizer (demo/tokenizer)"));
        return out;
    }
    const QString resources = QFileInfo(tokenizer).absolutePath();
    try {
        SilentObserver observer;
        out.modelDir = toQ(ps::ensureDemoModel(toStd(resources), observer, pretrainSteps));
    } catch (const std::exception& e) {
        out.error = QObject::tr("cannot create the demo model in %1: %2")
                        .arg(QDir::toNativeSeparators(toQ(ps::demoModelDir())), QString::fromStdString(e.what()));
    }
    return out;
}

ps::RunConfig demoConfig(const DemoSetup& setup) {
    return ps::demoRunConfig(toStd(setup.modelDir), toStd(setup.dataset));
}

} // namespace ps::ui
