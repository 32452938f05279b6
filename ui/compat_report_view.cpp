#include "compat_report_view.h"

#include "page_header.h"

#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QVBoxLayout>

namespace ps::ui {
namespace {

QColor verdictColour(ps::CompatVerdict v) {
    // Saturated enough for white marks on top and for text on light and dark window colours.
    switch (v) {
    case ps::CompatVerdict::Ok:
        return QColor(0x2e, 0x7d, 0x32);
    case ps::CompatVerdict::Warning:
        return QColor(0xb0, 0x6a, 0x00);
    case ps::CompatVerdict::Unsupported:
        return QColor(0xc6, 0x28, 0x28);
    }
    return Qt::gray;
}

QPixmap badge(ps::CompatVerdict v, int size, qreal dpr) {
    QPixmap pm(QSize(size, size) * dpr);
    pm.setDevicePixelRatio(dpr);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(verdictColour(v));
    const QRectF r(1, 1, size - 2, size - 2);
    p.drawEllipse(r);
    QPen pen(Qt::white, size / 8.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    const qreal s = size;
    switch (v) {
    case ps::CompatVerdict::Ok: {
        QPainterPath tick;
        tick.moveTo(s * 0.28, s * 0.52);
        tick.lineTo(s * 0.44, s * 0.68);
        tick.lineTo(s * 0.72, s * 0.34);
        p.drawPath(tick);
        break;
    }
    case ps::CompatVerdict::Warning:
        p.drawLine(QPointF(s / 2, s * 0.26), QPointF(s / 2, s * 0.56));
        p.drawPoint(QPointF(s / 2, s * 0.74));
        break;
    case ps::CompatVerdict::Unsupported:
        p.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68));
        p.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68));
        break;
    }
    return pm;
}

QString verdictWords(ps::CompatVerdict v) {
    switch (v) {
    case ps::CompatVerdict::Ok:
        return CompatReportView::tr("loads it");
    case ps::CompatVerdict::Warning:
        return CompatReportView::tr("loads it, with conditions");
    case ps::CompatVerdict::Unsupported:
        return CompatReportView::tr("cannot load it");
    }
    return {};
}

} // namespace

CompatReportView::CompatReportView(QWidget* parent) : QFrame(parent) {
    setFrameShape(QFrame::StyledPanel);
    setAccessibleName(tr("Compatibility report"));
    auto* v = new QVBoxLayout(this);
    headline_ = sectionTitle(tr("Compatibility"), this);
    headline_->setWordWrap(true);
    v->addWidget(headline_);
    message_ = secondaryLabel(QString(), this);
    message_->setWordWrap(true);
    v->addWidget(message_);
    rowsBox_ = new QWidget(this);
    auto* grid = new QGridLayout(rowsBox_);
    grid->setContentsMargins(0, 4, 0, 0);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(8);
    grid->setColumnStretch(2, 1);
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        Row& row = rows_[i];
        const int r = static_cast<int>(i);
        row.badge = new QLabel(rowsBox_);
        row.name = new QLabel(rowsBox_);
        QFont bold = row.name->font();
        bold.setBold(true);
        row.name->setFont(bold);
        row.verdict = new QLabel(rowsBox_);
        row.reasons = new QLabel(rowsBox_);
        row.reasons->setWordWrap(true);
        row.reasons->setTextInteractionFlags(Qt::TextSelectableByMouse);
        grid->addWidget(row.badge, 2 * r, 0, 2, 1, Qt::AlignTop);
        grid->addWidget(row.name, 2 * r, 1);
        grid->addWidget(row.verdict, 2 * r, 2);
        grid->addWidget(row.reasons, 2 * r + 1, 1, 1, 2);
    }
    v->addWidget(rowsBox_);
    v->addStretch(1);
    showMessage(tr("Choose an adapter to see which runtimes will load it."));
}

void CompatReportView::showMessage(const QString& text) {
    hasReport_ = false;
    headline_->setText(tr("Compatibility"));
    message_->setText(text);
    message_->show();
    rowsBox_->hide();
}

void CompatReportView::setReport(const ps::CompatReport& report, ps::ExportRuntime target) {
    hasReport_ = true;
    headline_->setText(tr("Compatibility \u2014 %1").arg(QString::fromStdString(report.method)));
    message_->hide();
    const int size = fontMetrics().height() + 6;
    for (std::size_t i = 0; i < rows_.size() && i < report.runtimes.size(); ++i) {
        const ps::RuntimeCompat& rc = report.runtimes[i];
        Row& row = rows_[i];
        row.badge->setPixmap(badge(rc.verdict, size, devicePixelRatioF()));
        row.badge->setToolTip(QString::fromLatin1(ps::compatVerdictName(rc.verdict)));
        const QString name = QString::fromLatin1(ps::exportRuntimeName(rc.runtime));
        row.name->setText(rc.runtime == target ? tr("%1  \u2190 this format").arg(name) : name);
        row.verdict->setText(verdictWords(rc.verdict));
        QPalette pal = row.verdict->palette();
        pal.setColor(QPalette::WindowText, verdictColour(rc.verdict));
        row.verdict->setPalette(pal);
        row.verdict->setProperty("verdict", QString::fromLatin1(ps::compatVerdictName(rc.verdict)));
        QStringList lines;
        for (const auto& reason : rc.reasons)
            lines << QStringLiteral("\u2022 ") + QString::fromStdString(reason);
        row.reasons->setText(lines.join(QLatin1Char('\n')));
        row.reasons->setVisible(!lines.isEmpty());
    }
    rowsBox_->show();
}

QString CompatReportView::verdictText(ps::ExportRuntime runtime) const {
    if (!hasReport_)
        return {};
    return rows_[static_cast<std::size_t>(runtime)].verdict->property("verdict").toString();
}

QString CompatReportView::reasonsText(ps::ExportRuntime runtime) const {
    return hasReport_ ? rows_[static_cast<std::size_t>(runtime)].reasons->text() : QString();
}

QString CompatReportView::headline() const {
    return headline_->text();
}

} // namespace ps::ui
