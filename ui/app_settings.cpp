#include "app_settings.h"

#include <QDir>
#include <QSettings>

namespace ps::ui {
namespace {

const QString kRecentFolders = QStringLiteral("Models/RecentFolders");
const QString kLastModel = QStringLiteral("Models/LastModel");
const QString kGeometry = QStringLiteral("MainWindow/Geometry");
const QString kLastPage = QStringLiteral("MainWindow/LastPage");
const QString kModelSplitter = QStringLiteral("ModelPage/Splitter");
const QString kRunsLayout = QStringLiteral("RunsPage/Layout");
const QString kDraftYaml = QStringLiteral("Training/DraftYaml");

// Folders compare by their cleaned absolute path, so "x/" and "x" are one entry.
QString normalized(const QString& folder) {
    return QDir::cleanPath(QDir(folder).absolutePath());
}

} // namespace

AppSettings::AppSettings()
    : settings_(std::make_unique<QSettings>(QStringLiteral("PEFT Studio"), QStringLiteral("peft-studio"))) {}

AppSettings::AppSettings(const QString& iniFile)
    : settings_(std::make_unique<QSettings>(iniFile, QSettings::IniFormat)) {}

AppSettings::~AppSettings() = default;

QStringList AppSettings::recentFolders() const {
    return settings_->value(kRecentFolders).toStringList();
}

void AppSettings::addRecentFolder(const QString& folder) {
    const QString clean = normalized(folder);
    QStringList folders = recentFolders();
    folders.removeAll(clean);
    folders.prepend(clean);
    while (folders.size() > kMaxRecentFolders)
        folders.removeLast();
    settings_->setValue(kRecentFolders, folders);
}

void AppSettings::removeRecentFolder(const QString& folder) {
    QStringList folders = recentFolders();
    folders.removeAll(normalized(folder));
    settings_->setValue(kRecentFolders, folders);
}

QString AppSettings::lastModel() const {
    return settings_->value(kLastModel).toString();
}
void AppSettings::setLastModel(const QString& folder) {
    settings_->setValue(kLastModel, normalized(folder));
}

QByteArray AppSettings::windowGeometry() const {
    return settings_->value(kGeometry).toByteArray();
}
void AppSettings::setWindowGeometry(const QByteArray& geometry) {
    settings_->setValue(kGeometry, geometry);
}
QByteArray AppSettings::modelPageSplitter() const {
    return settings_->value(kModelSplitter).toByteArray();
}
void AppSettings::setModelPageSplitter(const QByteArray& state) {
    settings_->setValue(kModelSplitter, state);
}
QByteArray AppSettings::runsPageLayout() const {
    return settings_->value(kRunsLayout).toByteArray();
}
void AppSettings::setRunsPageLayout(const QByteArray& state) {
    settings_->setValue(kRunsLayout, state);
}
QString AppSettings::lastPage() const {
    return settings_->value(kLastPage).toString();
}
void AppSettings::setLastPage(const QString& page) {
    settings_->setValue(kLastPage, page);
}

QString AppSettings::draftYaml() const {
    return settings_->value(kDraftYaml).toString();
}
void AppSettings::setDraftYaml(const QString& yaml) {
    settings_->setValue(kDraftYaml, yaml);
}

void AppSettings::sync() {
    settings_->sync();
}

} // namespace ps::ui
