#pragma once
// The pages of the main window, in sidebar order, with their command-line / settings names.
#include <QString>

#include <optional>

namespace ps::ui {

enum class StudioPage { Model, Data, Method, Train, Runs, Playground, Export };
constexpr int kStudioPageCount = 7;

// "model", "data", ... (what --page takes and settings store).
QString pageName(StudioPage page);
// The title the sidebar shows: "Model", "Data", ...
QString pageTitle(StudioPage page);
// Case-insensitive; nullopt for an unknown name.
std::optional<StudioPage> pageFromName(const QString& name);
// "model, data, method, ..." for error messages.
QString pageNames();

} // namespace ps::ui
