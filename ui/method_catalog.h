#pragma once
// The PEFT methods as the Method page presents them: a name, a one-line explanation in plain
// words, and which settings apply (the rest are hidden).
#include <QList>
#include <QString>

namespace ps::ui {

struct MethodDescription {
    QString name;    // the finetuning_type value: "lora", "dora", ...
    QString title;   // "LoRA"
    QString summary; // one sentence, no jargon
    bool rank = false;
    bool alpha = false;
    bool dropout = false;
    bool virtualTokens = false;
    bool targets = false;
};

// Every finetuning_type, in the order the page lists them.
const QList<MethodDescription>& methodCatalog();
// nullptr for an unknown name.
const MethodDescription* findMethod(const QString& name);

} // namespace ps::ui
