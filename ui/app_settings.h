#pragma once
// The one settings store of the studio, with typed accessors and hierarchical keys. By default
// the platform's store for "PEFT Studio" / "peft-studio"; tests and screenshots pass a file.
#include <QByteArray>
#include <QString>
#include <QStringList>

#include <memory>

class QSettings;

namespace ps::ui {

class AppSettings final {
public:
    static constexpr int kMaxRecentFolders = 10;

    AppSettings();
    explicit AppSettings(const QString& iniFile);
    ~AppSettings();
    AppSettings(const AppSettings&) = delete;
    AppSettings& operator=(const AppSettings&) = delete;

    // Most recent first, without duplicates.
    QStringList recentFolders() const;
    void addRecentFolder(const QString& folder);
    void removeRecentFolder(const QString& folder);

    // The model last shown in the details pane, selected again on start.
    QString lastModel() const;
    void setLastModel(const QString& folder);

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray& geometry);
    QByteArray modelPageSplitter() const;
    void setModelPageSplitter(const QByteArray& state);
    // The Runs page's column widths and order, sort column and table / comparison split
    // (RunsPage::layoutState).
    QByteArray runsPageLayout() const;
    void setRunsPageLayout(const QByteArray& state);
    QString lastPage() const;
    void setLastPage(const QString& page);
    // The run being set up (RunDraft), as the YAML the CLI takes; restored on start.
    QString draftYaml() const;
    void setDraftYaml(const QString& yaml);

    void sync();

private:
    std::unique_ptr<QSettings> settings_;
};

} // namespace ps::ui
