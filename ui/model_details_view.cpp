#include "model_details_view.h"

#include "chip_list.h"
#include "elided_label.h"
#include "glyph_icons.h"
#include "qt_convert.h"

#include "ps/human_format.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QScrollArea>
#include <QStackedWidget>
#include <QStringList>
#include <QVBoxLayout>

namespace ps::ui {
namespace {

QLabel* secondaryLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QLabel* sectionTitle(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    return label;
}

QString yesNo(bool value) {
    return value ? ModelDetailsView::tr("yes") : ModelDetailsView::tr("no");
}

QString number(std::int64_t n) {
    return n > 0 ? QLocale().toString(static_cast<qlonglong>(n)) : QStringLiteral("\u2014");
}

} // namespace

ModelDetailsView::ModelDetailsView(QWidget* parent) : QFrame(parent) {
    // A panel like the models table beside it: the view's base colour inside the style's frame.
    setFrameShape(QFrame::StyledPanel);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    stack_ = new QStackedWidget(this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(1, 1, 1, 1);
    layout->addWidget(stack_);

    emptyPage_ = buildMessagePage(&emptyLabel_);
    emptyLabel_->setText(tr("Select a model to see what it is made of."));
    loadingPage_ = buildMessagePage(&loadingLabel_);
    auto* busy = new QProgressBar(loadingPage_);
    busy->setRange(0, 0);
    busy->setTextVisible(false);
    busy->setMaximumWidth(220);
    busy->setMaximumHeight(6);
    static_cast<QVBoxLayout*>(loadingPage_->layout())->insertWidget(2, busy, 0, Qt::AlignHCenter);
    infoPage_ = buildInfoPage();
    errorPage_ = buildErrorPage();
    for (QWidget* page : {emptyPage_, loadingPage_, infoPage_, errorPage_})
        stack_->addWidget(page);
    showEmpty();
}

QWidget* ModelDetailsView::buildMessagePage(QLabel** label) {
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->addStretch();
    *label = secondaryLabel({}, page);
    (*label)->setAlignment(Qt::AlignCenter);
    (*label)->setWordWrap(true);
    layout->addWidget(*label);
    layout->addStretch();
    return page;
}

QWidget* ModelDetailsView::addSection(QWidget* parent, const QString& title,
                                      const QList<QPair<QString, QString>>& rows) {
    auto* box = new QWidget(parent);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(6);
    v->addWidget(sectionTitle(title, box));
    auto* form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignLeft);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setHorizontalSpacing(24);
    form->setVerticalSpacing(5);
    for (const auto& [key, label] : rows) {
        auto* value = new QLabel(box);
        value->setObjectName(key);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setWordWrap(true);
        values_.insert(key, value);
        auto* name = secondaryLabel(label, box);
        name->setBuddy(value);
        form->addRow(name, value);
    }
    v->addLayout(form);
    return box;
}

QWidget* ModelDetailsView::buildInfoPage() {
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->viewport()->setBackgroundRole(QPalette::Base);
    auto* content = new QWidget(scroll);
    auto* v = new QVBoxLayout(content);
    v->setContentsMargins(20, 16, 20, 16);
    v->setSpacing(18);

    auto* header = new QVBoxLayout;
    header->setSpacing(2);
    title_ = new QLabel(content);
    title_->setObjectName(QStringLiteral("title"));
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    title_->setWordWrap(true);
    QFont big = title_->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    title_->setFont(big);
    path_ = new ElidedLabel(content);
    path_->setObjectName(QStringLiteral("path"));
    path_->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(title_);
    header->addWidget(path_);
    v->addLayout(header);

    v->addWidget(addSection(content, tr("Architecture"),
                            {{QStringLiteral("model_type"), tr("Model type")},
                             {QStringLiteral("architecture"), tr("Architecture")},
                             {QStringLiteral("num_parameters"), tr("Parameters")},
                             {QStringLiteral("num_layers"), tr("Layers")},
                             {QStringLiteral("hidden_size"), tr("Hidden size")},
                             {QStringLiteral("intermediate_size"), tr("Intermediate size")},
                             {QStringLiteral("num_attention_heads"), tr("Attention heads")},
                             {QStringLiteral("num_key_value_heads"), tr("Key/value heads")},
                             {QStringLiteral("vocab_size"), tr("Vocabulary")},
                             {QStringLiteral("max_position_embeddings"), tr("Context length")}}));
    v->addWidget(addSection(content, tr("Weights and tokenizer"),
                            {{QStringLiteral("torch_dtype"), tr("Stored as")},
                             {QStringLiteral("tie_word_embeddings"), tr("Tied embeddings")},
                             {QStringLiteral("size_on_disk_bytes"), tr("Weights on disk")},
                             {QStringLiteral("has_tokenizer"), tr("Tokenizer")},
                             {QStringLiteral("has_chat_template"), tr("Chat template")}}));
    auto* modulesBox = new QVBoxLayout;
    modulesBox->setSpacing(6);
    modulesBox->addWidget(sectionTitle(tr("Linear modules"), content));
    modulesBox->addWidget(secondaryLabel(tr("The layers an adapter such as LoRA can target."), content));
    modules_ = new ChipList(content);
    modules_->setObjectName(QStringLiteral("linear_modules"));
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    modules_->setFont(mono);
    modulesBox->addWidget(modules_);
    v->addLayout(modulesBox);
    v->addStretch();
    scroll->setWidget(content);
    return scroll;
}

QWidget* ModelDetailsView::buildErrorPage() {
    auto* page = new QWidget(this);
    auto* v = new QVBoxLayout(page);
    v->setContentsMargins(24, 24, 24, 24);
    v->setSpacing(10);
    v->addStretch();
    auto* icon = new QLabel(page);
    icon->setPixmap(glyphIcon(Glyph::Warning).pixmap(QSize(40, 40)));
    v->addWidget(icon, 0, Qt::AlignHCenter);
    errorTitle_ = new QLabel(tr("This folder can't be used as a model"), page);
    errorTitle_->setObjectName(QStringLiteral("errorTitle"));
    QFont f = errorTitle_->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.15);
    errorTitle_->setFont(f);
    errorTitle_->setAlignment(Qt::AlignCenter);
    v->addWidget(errorTitle_);
    errorPath_ = new ElidedLabel(page);
    errorPath_->setAlignment(Qt::AlignCenter);
    errorPath_->setForegroundRole(QPalette::PlaceholderText);
    v->addWidget(errorPath_);
    errorText_ = new QLabel(page);
    errorText_->setObjectName(QStringLiteral("errorText"));
    errorText_->setWordWrap(true);
    errorText_->setAlignment(Qt::AlignCenter);
    errorText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(errorText_);
    auto* hint = secondaryLabel(tr("PEFT Studio reads Hugging Face model folders: a config.json of a supported "
                                   "model type and .safetensors weights."),
                                page);
    hint->setWordWrap(true);
    hint->setAlignment(Qt::AlignCenter);
    v->addWidget(hint);
    v->addStretch();
    return page;
}

void ModelDetailsView::setValue(const QString& key, const QString& text) {
    if (QLabel* label = values_.value(key))
        label->setText(text);
}

QString ModelDetailsView::valueText(const QString& key) const {
    if (key == QLatin1String("linear_modules"))
        return state_ == State::Info ? modules_->items().join(QLatin1Char(' ')) : QString();
    const QLabel* label = values_.value(key);
    return label && state_ == State::Info ? label->text() : QString();
}

QString ModelDetailsView::errorText() const {
    return state_ == State::Error ? errorText_->text() : QString();
}

void ModelDetailsView::showEmpty() {
    state_ = State::Empty;
    shownPath_.clear();
    stack_->setCurrentWidget(emptyPage_);
}

void ModelDetailsView::showLoading(const QString& dir) {
    state_ = State::Loading;
    shownPath_ = dir;
    loadingLabel_->setText(tr("Reading config.json and the weight headers of\n%1").arg(dir));
    stack_->setCurrentWidget(loadingPage_);
}

void ModelDetailsView::showInfo(const ps::HubModel& entry, const ps::ModelInfo& info) {
    state_ = State::Info;
    shownPath_ = toQ(info.path.empty() ? entry.path : info.path);
    title_->setText(toQ(entry.id.empty() ? info.path : entry.id));
    path_->setFullText(entry.fromCache ? tr("Hugging Face cache, revision %1").arg(toQ(entry.revision.substr(0, 12)))
                                       : shownPath_);
    if (entry.fromCache)
        path_->setToolTip(shownPath_);

    setValue(QStringLiteral("model_type"), toQ(info.modelType));
    setValue(QStringLiteral("architecture"), toQ(info.architecture));
    setValue(QStringLiteral("num_parameters"),
             tr("%1 (%2)").arg(toQ(ps::formatParameterCount(info.numParameters)), number(info.numParameters)));
    setValue(QStringLiteral("num_layers"), number(info.numLayers));
    setValue(QStringLiteral("hidden_size"), number(info.hiddenSize));
    setValue(QStringLiteral("intermediate_size"), number(info.intermediateSize));
    setValue(QStringLiteral("num_attention_heads"), number(info.numAttentionHeads));
    setValue(QStringLiteral("num_key_value_heads"), number(info.numKeyValueHeads));
    setValue(QStringLiteral("vocab_size"), number(info.vocabSize));
    setValue(QStringLiteral("max_position_embeddings"), number(info.maxPositionEmbeddings));
    setValue(QStringLiteral("torch_dtype"), info.torchDtype.empty() ? tr("not stated") : toQ(info.torchDtype));
    setValue(QStringLiteral("tie_word_embeddings"), yesNo(info.tieWordEmbeddings));
    setValue(QStringLiteral("size_on_disk_bytes"), toQ(ps::formatByteSize(info.sizeOnDiskBytes)));
    setValue(QStringLiteral("has_tokenizer"), info.hasTokenizer ? tr("included") : tr("missing"));
    setValue(QStringLiteral("has_chat_template"), info.hasChatTemplate ? tr("included") : tr("none"));
    QStringList modules;
    for (const std::string& m : info.linearModules)
        modules << toQ(m);
    modules_->setItems(modules.isEmpty() ? QStringList{tr("none found")} : modules);
    stack_->setCurrentWidget(infoPage_);
}

void ModelDetailsView::showError(const QString& dir, const QString& message) {
    state_ = State::Error;
    shownPath_ = dir;
    errorPath_->setFullText(dir);
    errorText_->setText(message);
    stack_->setCurrentWidget(errorPage_);
}

} // namespace ps::ui
