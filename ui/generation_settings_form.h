#pragma once
// The Playground's sampling settings: max new tokens, temperature (0 = greedy), top-k, top-p,
// min-p, repetition penalty, seed and stop strings (one per line). Defaults come from the
// model's generation_config.json (ps::generationDefaults), read by the page on a worker.
#include "ps/generate.h"

#include <QWidget>

class QDoubleSpinBox;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace ps::ui {

class GenerationSettingsForm final : public QWidget {
    Q_OBJECT

public:
    explicit GenerationSettingsForm(QWidget* parent = nullptr);

    // The model's defaults; also what "Model defaults" restores.
    void setDefaults(const ps::GenerationOptions& defaults);
    void setOptions(const ps::GenerationOptions& options);
    ps::GenerationOptions options() const;

    QSpinBox* maxNewTokensBox() const { return maxNew_; }
    QDoubleSpinBox* temperatureBox() const { return temperature_; }
    QSpinBox* seedBox() const { return seed_; }
    QPlainTextEdit* stopStringsEdit() const { return stops_; }

private:
    QSpinBox* maxNew_ = nullptr;
    QDoubleSpinBox* temperature_ = nullptr;
    QSpinBox* topK_ = nullptr;
    QDoubleSpinBox* topP_ = nullptr;
    QDoubleSpinBox* minP_ = nullptr;
    QDoubleSpinBox* repetition_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QPlainTextEdit* stops_ = nullptr;
    QPushButton* reset_ = nullptr;
    ps::GenerationOptions defaults_;
};

} // namespace ps::ui
