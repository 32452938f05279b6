#pragma once
// A wrapped row of small rounded "chips" (module names, tags). Painted, not one widget per
// chip, and height-for-width aware so it wraps inside forms and scroll areas.
#include <QStringList>
#include <QWidget>

namespace ps::ui {

class ChipList final : public QWidget {
    Q_OBJECT

public:
    explicit ChipList(QWidget* parent = nullptr);

    void setItems(const QStringList& items);
    QStringList items() const { return items_; }

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    // Chip rectangles for a given width (shared by layout and painting).
    QList<QRect> layoutChips(int width) const;

    QStringList items_;
};

} // namespace ps::ui
