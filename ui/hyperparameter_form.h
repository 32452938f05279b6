#pragma once
// HyperparameterForm — the Train page's settings, bound to the RunDraft: one editor per config
// key (spin box, line edit, combo box or check box by the key's type), labelled in words, with
// the key's help from runConfigKeys() as tooltip. Edits go to the draft at once; the draft's
// changes (a loaded YAML file, another page) come back into the editors. A value the draft
// rejects stays in its editor, marked, with the reason shown under the form.
#include <QHash>
#include <QList>
#include <QWidget>

class QLabel;

namespace ps::ui {

class RunDraft;

class HyperparameterForm final : public QWidget {
    Q_OBJECT

public:
    explicit HyperparameterForm(RunDraft& draft, QWidget* parent = nullptr);

    // The editor of `key` (tests, focus); nullptr when the form does not show it.
    QWidget* editor(const QString& key) const { return editors_.value(key); }
    QStringList keys() const { return editors_.keys(); }
    // What is wrong with the values shown (rejected edits and range problems), one per line.
    QString problemsText() const;

private:
    QWidget* addGroup(const QString& title, const QStringList& keys, bool collapsed);
    QWidget* makeEditor(const QString& key);
    void commit(const QString& key, const QString& text);
    void load(const QStringList& keys);
    void updateProblems();

    RunDraft& draft_;
    QHash<QString, QWidget*> editors_;
    QList<QLabel*> labels_;
    QHash<QString, QString> rejected_; // key -> why the last edit was refused
    QLabel* problems_ = nullptr;
};

} // namespace ps::ui
