#pragma once
// The details pane of the model page: everything `peft-studio-cli inspect` reports about the
// selected model, or why it cannot be used, in plain words. Value labels are named after the
// inspect JSON keys (model_type, num_layers, ...) so tests and accessibility tools can find them.
#include "ps/hub.h"
#include "ps/model_info.h"

#include <QFrame>
#include <QHash>

class QLabel;
class QStackedWidget;

namespace ps::ui {

class ChipList;
class ElidedLabel;

class ModelDetailsView final : public QFrame {
    Q_OBJECT

public:
    enum class State { Empty, Loading, Info, Error };

    explicit ModelDetailsView(QWidget* parent = nullptr);

    void showEmpty();
    void showLoading(const QString& dir);
    void showInfo(const ps::HubModel& entry, const ps::ModelInfo& info);
    void showError(const QString& dir, const QString& message);

    State state() const { return state_; }
    QString shownPath() const { return shownPath_; }
    // The text shown for an inspect key ("model_type", "num_layers", ...); empty if unknown.
    QString valueText(const QString& key) const;
    QString errorText() const;

private:
    QWidget* buildInfoPage();
    QWidget* buildErrorPage();
    QWidget* buildMessagePage(QLabel** label);
    QWidget* addSection(QWidget* parent, const QString& title, const QList<QPair<QString, QString>>& rows);
    void setValue(const QString& key, const QString& text);

    State state_ = State::Empty;
    QString shownPath_;
    QStackedWidget* stack_ = nullptr;
    QLabel* emptyLabel_ = nullptr;
    QLabel* loadingLabel_ = nullptr;
    QWidget* emptyPage_ = nullptr;
    QWidget* loadingPage_ = nullptr;
    QWidget* infoPage_ = nullptr;
    QWidget* errorPage_ = nullptr;
    QLabel* title_ = nullptr;
    ElidedLabel* path_ = nullptr;
    QLabel* errorTitle_ = nullptr;
    QLabel* errorText_ = nullptr;
    ElidedLabel* errorPath_ = nullptr;
    ChipList* modules_ = nullptr;
    QHash<QString, QLabel*> values_;
};

} // namespace ps::ui
