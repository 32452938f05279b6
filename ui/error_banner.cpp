#include "error_banner.h"

#include "glyph_icons.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace ps::ui {

ErrorBanner::ErrorBanner(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("errorBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::AlternateBase);
    setAccessibleName(tr("Error"));

    auto* icon = new QLabel(this);
    icon->setPixmap(glyphIcon(Glyph::Warning).pixmap(QSize(24, 24)));
    icon->setAlignment(Qt::AlignTop);

    title_ = new QLabel(this);
    QFont f = title_->font();
    f.setBold(true);
    title_->setFont(f);
    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("errorMessage"));
    advice_ = new QLabel(this);
    advice_->setObjectName(QStringLiteral("errorAdvice"));
    for (QLabel* label : {title_, message_, advice_}) {
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    }

    close_ = new QToolButton(this);
    close_->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close_->setAutoRaise(true);
    close_->setToolTip(tr("Dismiss"));
    close_->setAccessibleName(tr("Dismiss error"));
    connect(close_, &QToolButton::clicked, this, &ErrorBanner::clear);

    auto* text = new QVBoxLayout;
    text->setSpacing(2);
    text->addWidget(title_);
    text->addWidget(message_);
    text->addWidget(advice_);
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(10, 8, 6, 8);
    h->addWidget(icon, 0, Qt::AlignTop);
    h->addLayout(text, 1);
    h->addWidget(close_, 0, Qt::AlignTop);
    hide();
}

void ErrorBanner::showError(const QString& title, const QString& message, const QString& advice) {
    title_->setText(title);
    message_->setText(message);
    message_->setVisible(!message.isEmpty());
    advice_->setText(advice);
    advice_->setVisible(!advice.isEmpty());
    show();
}

void ErrorBanner::clear() {
    title_->clear();
    message_->clear();
    advice_->clear();
    hide();
}

QString ErrorBanner::title() const {
    return title_->text();
}
QString ErrorBanner::message() const {
    return message_->text();
}
QString ErrorBanner::advice() const {
    return advice_->text();
}

} // namespace ps::ui
