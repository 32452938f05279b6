#pragma once
// ErrorBanner — an error shown in the window, where the user is looking, instead of a modal box
// that is gone once dismissed: what happened, and what to do about it. Palette colours only.
#include <QFrame>

class QLabel;
class QToolButton;

namespace ps::ui {

class ErrorBanner final : public QFrame {
    Q_OBJECT

public:
    explicit ErrorBanner(QWidget* parent = nullptr);

    // `title`: one line ("Training failed"); `message`: the error itself; `advice`: what to do.
    void showError(const QString& title, const QString& message, const QString& advice);
    void clear();

    QString title() const;
    QString message() const;
    QString advice() const;

private:
    QLabel* title_ = nullptr;
    QLabel* message_ = nullptr;
    QLabel* advice_ = nullptr;
    QToolButton* close_ = nullptr;
};

} // namespace ps::ui
