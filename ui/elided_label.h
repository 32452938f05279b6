#pragma once
// A one-line label that elides in the middle (keeping both ends of a long path readable) instead
// of forcing its parent wider; the full text is the tooltip.
#include <QLabel>

namespace ps::ui {

class ElidedLabel final : public QLabel {
    Q_OBJECT

public:
    explicit ElidedLabel(QWidget* parent = nullptr);
    void setFullText(const QString& text);
    QString fullText() const { return fullText_; }
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void updateElided();
    QString fullText_;
};

} // namespace ps::ui
