#include "method_catalog.h"

#include <QCoreApplication>

namespace ps::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("MethodCatalog", text);
}

MethodDescription method(const char* name, const QString& title, const QString& summary, bool rank, bool alpha,
                         bool dropout, bool virtualTokens, bool targets) {
    return {QString::fromLatin1(name), title, summary, rank, alpha, dropout, virtualTokens, targets};
}

} // namespace

const QList<MethodDescription>& methodCatalog() {
    static const QList<MethodDescription> methods = {
        method("lora", QStringLiteral("LoRA"),
               tr("Learns two small matrices beside each chosen layer. The usual choice: little memory, small files."),
               true, true, true, false, true),
        method("dora", QStringLiteral("DoRA"),
               tr("LoRA that also learns how strongly each output fires. Often a little better at the same rank; "
                  "slower."),
               true, true, true, false, true),
        method("rslora", QStringLiteral("rsLoRA"),
               tr("LoRA scaled so that high ranks keep learning well. Pick it for ranks of 32 and more."), true, true,
               true, false, true),
        method("ia3", QStringLiteral("IA\u00B3"),
               tr("Learns one scaling factor per channel of the chosen layers: the fewest parameters, for light "
                  "adjustments."),
               false, false, false, false, true),
        method("loha", QStringLiteral("LoHa"),
               tr("Combines two low-rank pairs by multiplying them element-wise: more expressive than LoRA for "
                  "the same size."),
               true, true, false, false, true),
        method("lokr", QStringLiteral("LoKr"),
               tr("Builds each change from two small Kronecker factors: very compact adapters."), true, true, false,
               false, true),
        method("prompt", tr("Prompt tuning"),
               tr("Learns a few virtual words put before every input. The model itself is not touched."), false, false,
               false, true, false),
        method("prefix", tr("Prefix tuning"),
               tr("Learns virtual words inside every attention layer: more room to learn than prompt tuning."), false,
               false, false, true, false),
        method("full", tr("Full fine-tuning"),
               tr("Trains every weight of the model: the most capacity, the most memory, a full-size result."), false,
               false, false, false, false),
    };
    return methods;
}

const MethodDescription* findMethod(const QString& name) {
    for (const MethodDescription& m : methodCatalog())
        if (m.name == name)
            return &m;
    return nullptr;
}

} // namespace ps::ui
