// The run configuration as a file and as a command line: Save Config As... then Open Config...
// gives back the draft; "Copy as CLI command", split as a POSIX shell does and applied with
// core's --set parsing, gives back the draft; a broken file is reported with its line.
#include "run_config_files.h"
#include "run_draft.h"

#include "ps/run_config.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QWidget>
#include <QtTest>

#include <string>
#include <vector>

using namespace ps::ui;

namespace {

// Splits a command line as sh does for words made of plain characters, '...' and "..." quoting
// and backslash escapes (what runConfigCommandLine writes).
std::vector<std::string> shellWords(const std::string& line) {
    std::vector<std::string> words;
    std::string word;
    bool inWord = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ' ' || c == '\t') {
            if (inWord)
                words.push_back(word);
            word.clear();
            inWord = false;
        } else if (c == '\'') {
            inWord = true;
            const std::size_t end = line.find('\'', i + 1);
            word += line.substr(i + 1, end - i - 1);
            i = end;
        } else if (c == '"') {
            inWord = true;
            for (++i; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size() &&
                    std::string("\\\"$`").find(line[i + 1]) != std::string::npos)
                    ++i;
                word += line[i];
            }
        } else if (c == '\\' && i + 1 < line.size()) {
            inWord = true;
            word += line[++i];
        } else {
            inWord = true;
            word += c;
        }
    }
    if (inWord)
        words.push_back(word);
    return words;
}

// A draft far from the defaults, with values that need quoting.
ps::RunConfig unusualConfig(const QString& dir) {
    ps::RunConfig c;
    c.model_name_or_path = (dir + QStringLiteral("/my models/SmolLM2 135M")).toStdString();
    c.dataset = (dir + QStringLiteral("/it's data.jsonl")).toStdString();
    c.dataset_format = "alpaca";
    c.finetuning_type = "dora";
    c.lora_rank = 16;
    c.lora_alpha = 24;
    c.lora_dropout = 0.05;
    c.lora_target = "q_proj,v_proj";
    c.learning_rate = 3e-4;
    c.max_steps = 250;
    c.lr_scheduler_type = "linear";
    c.warmup_steps = 7;
    c.packing = true;
    c.val_size = 0.1;
    c.eval_steps = 25;
    c.seed = 1234;
    c.gradient_checkpointing = true;
    c.output_dir = (dir + QStringLiteral("/runs $HOME")).toStdString();
    c.run_name = "first try: \"quotes\" & $dollars `ticks`";
    return c;
}

} // namespace

class TestRunConfigFiles final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void yamlSaveLoadRoundTrip() {
        QTemporaryDir tmp;
        RunDraft draft;
        draft.setConfig(unusualConfig(tmp.path()));
        const QString file = tmp.path() + QStringLiteral("/run.yaml");
        QCOMPARE(saveDraftAsYaml(draft, file), QString());

        RunDraft loaded;
        QSignalSpy changed(&loaded, &RunDraft::changed);
        QCOMPARE(loadDraftFromYaml(loaded, file), QString());
        QVERIFY(loaded.config() == draft.config());
        QCOMPARE(changed.count(), 1);
        // The CLI reads the same file.
        QVERIFY(ps::loadRunConfig(file.toStdString(), {}, false) == draft.config());
    }

    void brokenYamlNamesTheLine() {
        QTemporaryDir tmp;
        const QString file = tmp.path() + QStringLiteral("/bad.yaml");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("learning_rate: 1e-4\nlora_rank: eight\n");
        f.close();
        RunDraft draft;
        const ps::RunConfig before = draft.config();
        const QString error = loadDraftFromYaml(draft, file);
        QVERIFY2(error.contains(QStringLiteral("bad.yaml")) && error.contains(QStringLiteral("line 2")),
                 qPrintable(error));
        QVERIFY(draft.config() == before); // nothing half-loaded
        QVERIFY(!loadDraftFromYaml(draft, tmp.path() + QStringLiteral("/missing.yaml")).isEmpty());
    }

    void cliCommandParsesBackToTheDraft() {
        QTemporaryDir tmp;
        RunDraft draft;
        draft.setConfig(unusualConfig(tmp.path()));
        const QString command = cliCommandFor(draft);
        QVERIFY(command.startsWith(QStringLiteral("peft-studio-cli train ")));
        QVERIFY(!command.contains(QStringLiteral("adam_beta1"))); // only non-default keys

        const std::vector<std::string> words = shellWords(command.toStdString());
        QCOMPARE(words.at(0), std::string("peft-studio-cli"));
        QCOMPARE(words.at(1), std::string("train"));
        ps::RunConfig parsed;
        for (std::size_t i = 2; i < words.size(); i += 2) {
            QCOMPARE(words[i], std::string("--set"));
            ps::applyRunConfigOverride(parsed, words.at(i + 1));
        }
        QVERIFY(parsed == draft.config());
    }

    void defaultDraftIsABareCommand() {
        RunDraft draft;
        QCOMPARE(cliCommandFor(draft), QStringLiteral("peft-studio-cli train"));
    }

    void copyActionPutsTheCommandOnTheClipboard() {
        QWidget window;
        RunDraft draft;
        draft.setValue(QStringLiteral("learning_rate"), QStringLiteral("0.002"));
        RunConfigActions actions(draft, &window);
        QSignalSpy status(&actions, &RunConfigActions::statusMessage);
        actions.copyCommandAction()->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), cliCommandFor(draft));
        QCOMPARE(status.count(), 1);
    }
};

QTEST_MAIN(TestRunConfigFiles)
#include "tst_run_config_files.moc"
