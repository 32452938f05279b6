#include "run_draft.h"

#include "ps/error.h"

namespace ps::ui {

RunDraft::RunDraft(QObject* parent) : QObject(parent) {}

void RunDraft::setConfig(const ps::RunConfig& config) {
    config_ = config;
    QStringList keys;
    for (const ps::RunConfigKey& key : ps::runConfigKeys())
        keys << QString::fromStdString(key.name);
    Q_EMIT changed(keys);
}

QString RunDraft::setValue(const QString& key, const QString& text) {
    ps::RunConfig next = config_;
    try {
        ps::setRunConfigValue(next, key.toStdString(), text.toStdString(), key.toStdString());
    } catch (const ps::Error& e) {
        return QString::fromStdString(e.what());
    }
    if (next == config_)
        return {};
    config_ = next;
    Q_EMIT changed({key});
    return {};
}

QString RunDraft::value(const QString& key) const {
    try {
        return QString::fromStdString(ps::runConfigValue(config_, key.toStdString()));
    } catch (const ps::Error&) {
        return {};
    }
}

QStringList RunDraft::problems() const {
    QStringList out;
    for (const ps::ConfigProblem& p : ps::runConfigProblems(config_, true))
        out << (p.key.empty() ? QString::fromStdString(p.message)
                              : QStringLiteral("%1: %2").arg(QString::fromStdString(p.key),
                                                             QString::fromStdString(p.message)));
    return out;
}

} // namespace ps::ui
