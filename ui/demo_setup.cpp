#include "demo_setup.h"

#include "qt_convert.h"
#include "resource_paths.h"

#include "ps/demo.h"
#include "ps/model_presets.h"
#include "ps/resources.h"

#include <QDir>
#include <QFileInfo>

#include <exception>

namespace ps::ui {

DemoSetup prepareDemo() {
    DemoSetup out;
    out.dataset = findResource(QStringLiteral("demo/instructions.jsonl"));
    if (out.dataset.isEmpty()) {
        out.error = QObject::tr("the demo data (demo/instructions.jsonl) is missing from %1")
                        .arg(resourceDirs().join(QStringLiteral(", ")));
        return out;
    }
    out.modelDir = demoModelDir();
    if (!out.modelDir.isEmpty())
        return out;
    // Not bundled: the same folder `peft-studio-cli demo` creates and uses.
    const QString dir = toQ(ps::demoModelDir());
    if (!QFileInfo::exists(dir + QStringLiteral("/config.json"))) {
        const QString tokenizer = findResource(QStringLiteral("demo/tokenizer"));
        if (tokenizer.isEmpty()) {
            out.error = QObject::tr("the demo tokenizer (demo/tokenizer) is missing from %1")
                            .arg(resourceDirs().join(QStringLiteral(", ")));
            return out;
        }
        try {
            ps::initModel("demo-tiny", toStd(tokenizer), toStd(dir), 0, true);
        } catch (const std::exception& e) {
            out.error = QObject::tr("cannot create the demo model in %1: %2")
                            .arg(QDir::toNativeSeparators(dir), QString::fromStdString(e.what()));
            return out;
        }
    }
    out.modelDir = dir;
    return out;
}

ps::RunConfig demoConfig(const DemoSetup& setup) {
    return ps::demoRunConfig(toStd(setup.modelDir), toStd(setup.dataset));
}

} // namespace ps::ui
