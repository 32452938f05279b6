#pragma once
// RunDraft — the run being set up in the studio: one ps::RunConfig shared by the Model, Data,
// Method and Train pages (and saved / loaded as the same YAML the CLI takes). Pages edit it
// through setValue() / setConfig() and listen to changed(); nobody keeps a private copy.
#include "ps/run_config.h"

#include <QObject>
#include <QString>
#include <QStringList>

namespace ps::ui {

class RunDraft final : public QObject {
    Q_OBJECT

public:
    explicit RunDraft(QObject* parent = nullptr);

    const ps::RunConfig& config() const { return config_; }
    // Replaces the whole config (a loaded YAML file); emits changed() with every key.
    void setConfig(const ps::RunConfig& config);
    // Sets one key from its text form (the same parser as YAML and --set). Returns the error
    // message, or an empty string when the value was accepted. Emits changed(key) only when the
    // value actually changed.
    QString setValue(const QString& key, const QString& text);
    QString value(const QString& key) const;

    // Problems that block a start (missing model or data, out-of-range values): "key: message".
    QStringList problems() const;

Q_SIGNALS:
    // `keys` lists what changed (all keys after setConfig()).
    void changed(const QStringList& keys);

private:
    ps::RunConfig config_;
};

} // namespace ps::ui
