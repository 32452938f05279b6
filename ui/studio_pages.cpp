#include "studio_pages.h"

#include <QCoreApplication>
#include <QStringList>

namespace ps::ui {

QString pageName(StudioPage page) {
    switch (page) {
    case StudioPage::Model:
        return QStringLiteral("model");
    case StudioPage::Data:
        return QStringLiteral("data");
    case StudioPage::Method:
        return QStringLiteral("method");
    case StudioPage::Train:
        return QStringLiteral("train");
    case StudioPage::Runs:
        return QStringLiteral("runs");
    case StudioPage::Playground:
        return QStringLiteral("playground");
    case StudioPage::Export:
        return QStringLiteral("export");
    }
    return {};
}

QString pageTitle(StudioPage page) {
    switch (page) {
    case StudioPage::Model:
        return QCoreApplication::translate("StudioPages", "Model");
    case StudioPage::Data:
        return QCoreApplication::translate("StudioPages", "Data");
    case StudioPage::Method:
        return QCoreApplication::translate("StudioPages", "Method");
    case StudioPage::Train:
        return QCoreApplication::translate("StudioPages", "Train");
    case StudioPage::Runs:
        return QCoreApplication::translate("StudioPages", "Runs");
    case StudioPage::Playground:
        return QCoreApplication::translate("StudioPages", "Playground");
    case StudioPage::Export:
        return QCoreApplication::translate("StudioPages", "Export");
    }
    return {};
}

std::optional<StudioPage> pageFromName(const QString& name) {
    for (int i = 0; i < kStudioPageCount; ++i) {
        const auto page = static_cast<StudioPage>(i);
        if (name.trimmed().compare(pageName(page), Qt::CaseInsensitive) == 0)
            return page;
    }
    return std::nullopt;
}

QString pageNames() {
    QStringList names;
    for (int i = 0; i < kStudioPageCount; ++i)
        names << pageName(static_cast<StudioPage>(i));
    return names.join(QStringLiteral(", "));
}

} // namespace ps::ui
