#pragma once
// GenerationPane — one side of the Playground: a title, the text streaming in (in chat mode the
// whole conversation, with a heading per turn), and a status line under it (tokens, tokens/s,
// why it stopped). Keeps the ids it was sent, so tests can compare them with ps::Generator.
#include <QWidget>

#include <cstdint>
#include <vector>

class QLabel;
class QTextEdit;

namespace ps::ui {

class GenerationPane final : public QWidget {
    Q_OBJECT

public:
    explicit GenerationPane(const QString& title, QWidget* parent = nullptr);

    void setTitle(const QString& title);
    void clear();
    // Text mode: the prompt (dimmed) before the continuation.
    void showPrompt(const QString& prompt);
    // Chat mode: a heading ("You", "Base model") and, for the user, the turn's text.
    void addTurn(const QString& who, const QString& text = QString());
    void appendToken(std::int32_t id, const QString& piece);
    void setStatus(const QString& status);

    const std::vector<std::int32_t>& ids() const { return ids_; }
    QString streamedText() const { return streamed_; }
    QString status() const;
    QTextEdit* view() const { return view_; }

private:
    void append(const QString& text, bool dim, bool bold);

    QLabel* title_ = nullptr;
    QTextEdit* view_ = nullptr;
    QLabel* status_ = nullptr;
    std::vector<std::int32_t> ids_; // of the current reply
    QString streamed_;              // of the current reply
};

} // namespace ps::ui
