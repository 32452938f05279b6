#pragma once
// Where the installed (or built) application finds its bundled resources — the demo data, the
// demo tokenizer — relative to its own executable, never through a path baked in at build time:
//   <exe dir>/../share/peft-studio          installed layout (DEB, TGZ, NSIS)
//   <exe dir>/resources, and up to 4 parent folders' resources/   build tree / source checkout
// PEFT_STUDIO_RESOURCES overrides both.
#include <string>

namespace ps {

// The resources folder (holding demo/), or "" when none is found.
std::string findResourcesDir(const std::string& executablePath);

// Per-user data folder for things the app creates (the demo model):
// $XDG_DATA_HOME/peft-studio, ~/.local/share/peft-studio, %LOCALAPPDATA%\peft-studio.
std::string userDataDir();

} // namespace ps
