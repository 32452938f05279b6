#pragma once
// For UI tests that train: a private data folder (the demo model is created there), runs root
// and empty Hugging Face cache in a temporary directory, and the demo run config made short.
#include "demo_setup.h"

#include <QTemporaryDir>
#include <QtTest>

namespace ps::ui::test {

class DemoTestEnv final {
public:
    DemoTestEnv() {
        QDir().mkpath(runsRoot());
        QDir().mkpath(tmp_.path() + QStringLiteral("/hf-cache"));
        qputenv("XDG_DATA_HOME", QFile::encodeName(tmp_.path() + QStringLiteral("/data")));
        qputenv("PEFT_STUDIO_RUNS", QFile::encodeName(runsRoot()));
        qputenv("HF_HUB_CACHE", QFile::encodeName(tmp_.path() + QStringLiteral("/hf-cache")));
        setup_ = prepareDemo(0); // random weights: these tests do not look at the loss level
    }

    bool ok() const { return tmp_.isValid() && setup_.ok(); }
    QString error() const { return setup_.error; }
    const DemoSetup& setup() const { return setup_; }
    QString path() const { return tmp_.path(); }
    QString runsRoot() const { return tmp_.path() + QStringLiteral("/runs"); }

    // The demo config, `steps` optimizer steps long, logging every step, evaluating every
    // `evalEvery` steps, with the runs root set explicitly.
    ps::RunConfig config(std::int64_t steps, std::int64_t evalEvery = 4) const {
        ps::RunConfig c = demoConfig(setup_);
        c.max_steps = steps;
        c.logging_steps = 1;
        c.eval_steps = evalEvery;
        c.save_steps = 1000;
        c.output_dir = runsRoot().toStdString();
        return c;
    }

private:
    QTemporaryDir tmp_;
    DemoSetup setup_;
};

} // namespace ps::ui::test
