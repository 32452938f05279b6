#pragma once
// A histogram of example lengths in tokens with the cutoff_len marked: how long the examples
// are and how many reach the cutoff (those are truncated). Hides QCustomPlot from the page.
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPBars;
class QCPItemStraightLine;
class QCPItemText;

namespace ps::ui {

class TokenLengthHistogram final : public QWidget {
    Q_OBJECT

public:
    explicit TokenLengthHistogram(QWidget* parent = nullptr);

    void setLengths(std::vector<std::int64_t> lengths, std::int64_t cutoff);
    void clear();

    // What is drawn: bin width, count per bin (bin i covers [i*w, (i+1)*w)), the cutoff line.
    std::int64_t binWidth() const { return binWidth_; }
    const std::vector<std::int64_t>& binCounts() const { return counts_; }
    double cutoffMarkerX() const;
    QCustomPlot* plot() const { return plot_; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void rebuild();
    void applyPalette();

    QCustomPlot* plot_ = nullptr;
    QCPBars* bars_ = nullptr;
    QCPItemStraightLine* cutoffLine_ = nullptr;
    QCPItemText* cutoffLabel_ = nullptr;
    std::vector<std::int64_t> lengths_;
    std::vector<std::int64_t> counts_;
    std::int64_t cutoff_ = 0;
    std::int64_t binWidth_ = 1;
};

} // namespace ps::ui
