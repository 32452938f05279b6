#pragma once
// One tokenized example as training sees it: the text rendered through the chat template, with
// the tokens that carry a label (label != -100, the ones the loss is computed on) highlighted.
// The user steps through the examples with a spin box.
#include "ps/dataset.h"
#include "ps/tokenizer.h"

#include <QWidget>

#include <memory>
#include <optional>

class QLabel;
class QSpinBox;
class QTextBrowser;
class QTextDocument;

namespace ps::ui {

class ExampleView final : public QWidget {
    Q_OBJECT

public:
    explicit ExampleView(QWidget* parent = nullptr);

    // A placeholder instead of an example (no data yet, no tokenizer, an error).
    void showMessage(const QString& text);
    void setDataset(const ps::TokenizedDataset& data, std::shared_ptr<const ps::Tokenizer> tokenizer);
    void showExample(int index);
    int currentExample() const;

    QTextDocument* document() const;
    // The background colour of trained tokens (blended from the palette's highlight).
    QColor trainedBackground() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void render(int index);
    void updateSwatches();

    QLabel* title_ = nullptr;
    QLabel* counts_ = nullptr;
    QSpinBox* index_ = nullptr;
    QLabel* of_ = nullptr;
    QLabel* trainedSwatch_ = nullptr;
    QLabel* promptSwatch_ = nullptr;
    QTextBrowser* text_ = nullptr;
    std::optional<ps::TokenizedDataset> data_;
    std::shared_ptr<const ps::Tokenizer> tokenizer_;
};

} // namespace ps::ui
