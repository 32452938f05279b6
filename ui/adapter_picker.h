#pragma once
// AdapterPicker — "which adapter?": a list of the catalog's runs that have an adapter (newest
// first) plus folders the user chose, and a "Folder…" button. Shared by the Playground and
// Export pages. The catalog is read on a worker thread (one RunCatalog per thread, as the
// catalog requires); the GUI thread only fills the combo box.
#include <QString>
#include <QWidget>

#include <vector>

class QComboBox;
class QToolButton;

namespace ps::ui {

struct AdapterChoice {
    QString path;  // a run folder or an adapter folder
    QString label; // what the list shows
};

// The runs under ROOT ("" = the default runs root) whose adapter/ folder exists. Worker thread.
std::vector<AdapterChoice> listAdapterRuns(const QString& root);

class AdapterPicker final : public QWidget {
    Q_OBJECT

public:
    explicit AdapterPicker(QWidget* parent = nullptr);

    // Re-reads the catalog (asynchronously); the current choice is kept when it still exists.
    void reload();
    bool isLoading() const { return loading_; }

    QString currentPath() const;
    // Selects PATH (a run or adapter folder), adding it to the list when it is not there.
    void setCurrentPath(const QString& path);
    QComboBox* comboBox() const { return combo_; }

Q_SIGNALS:
    void currentChanged();
    void loadingChanged(bool loading);

private:
    void applyRuns(const std::vector<AdapterChoice>& runs);
    void chooseFolder();
    void addChoice(const AdapterChoice& choice);

    QComboBox* combo_ = nullptr;
    QToolButton* browse_ = nullptr;
    std::vector<AdapterChoice> choices_; // index = combo row
    std::vector<AdapterChoice> folders_; // chosen by the user; kept over reloads
    QString pendingPath_;                // setCurrentPath before the catalog arrived
    bool loading_ = false;
};

} // namespace ps::ui
