#include "generation_pane.h"

#include "page_header.h"

#include <QLabel>
#include <QScrollBar>
#include <QTextCursor>
#include <QTextEdit>
#include <QVBoxLayout>

namespace ps::ui {

GenerationPane::GenerationPane(const QString& title, QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    title_ = sectionTitle(title, this);
    title_->setWordWrap(true);
    // Two lines always (bottom-aligned), so that the panes' text areas stay level when one title
    // (a long run name) wraps and the other does not.
    title_->setMinimumHeight(title_->fontMetrics().lineSpacing() * 2);
    title_->setAlignment(Qt::AlignLeft | Qt::AlignBottom);
    view_ = new QTextEdit(this);
    view_->setReadOnly(true);
    view_->setAcceptRichText(false);
    view_->setAccessibleName(title);
    status_ = secondaryLabel(QString(), this);
    status_->setWordWrap(true);
    // Two lines always, so that the two panes' text areas stay level when one status wraps.
    status_->setMinimumHeight(status_->fontMetrics().lineSpacing() * 2);
    status_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    v->addWidget(title_);
    v->addWidget(view_, 1);
    v->addWidget(status_);
}

void GenerationPane::setTitle(const QString& title) {
    title_->setText(title);
    view_->setAccessibleName(title);
}

void GenerationPane::clear() {
    view_->clear();
    ids_.clear();
    streamed_.clear();
    status_->clear();
}

void GenerationPane::append(const QString& text, bool dim, bool bold) {
    QTextCursor c(view_->document());
    c.movePosition(QTextCursor::End);
    QTextCharFormat f;
    f.setForeground(palette().brush(dim ? QPalette::PlaceholderText : QPalette::Text));
    f.setFontWeight(bold ? QFont::Bold : QFont::Normal);
    c.insertText(text, f);
    // Follow the stream unless the user scrolled up to read.
    QScrollBar* bar = view_->verticalScrollBar();
    if (bar->value() >= bar->maximum() - 4 * view_->fontMetrics().height())
        bar->setValue(bar->maximum());
}

void GenerationPane::showPrompt(const QString& prompt) {
    ids_.clear();
    streamed_.clear();
    append(prompt, true, false);
}

void GenerationPane::addTurn(const QString& who, const QString& text) {
    ids_.clear();
    streamed_.clear();
    if (!view_->document()->isEmpty())
        append(QStringLiteral("\n\n"), false, false);
    append(who + QLatin1Char('\n'), false, true);
    if (!text.isEmpty())
        append(text, false, false);
}

void GenerationPane::appendToken(std::int32_t id, const QString& piece) {
    ids_.push_back(id);
    if (piece.isEmpty())
        return; // held back (a possible stop string) or a special token
    streamed_ += piece;
    append(piece, false, false);
}

void GenerationPane::setStatus(const QString& status) {
    status_->setText(status);
}

QString GenerationPane::status() const {
    return status_->text();
}

} // namespace ps::ui
