#pragma once
// The pieces of the freedesktop.org Trash specification that moveToTrash (ps/trash.h) is built
// from, exposed for the tests. POSIX only.
#include <ctime>
#include <string>

namespace ps::trash {

// A path as the spec's Path= key wants it: RFC 3986 percent-encoding of every byte except the
// unreserved characters and '/'. percentDecode reverses it (and throws ps::Error on bad escapes).
std::string percentEncodePath(const std::string& path);
std::string percentDecode(const std::string& text);

// The text of a .trashinfo file: "[Trash Info]\nPath=...\nDeletionDate=YYYY-MM-DDThh:mm:ss\n"
// (local time, as the spec says).
std::string trashInfoText(const std::string& originalPath, std::time_t deletionTime);

// The home trash: $XDG_DATA_HOME/Trash, else $HOME/.local/share/Trash; "" when neither is set.
std::string homeTrashDir();

// The n-th candidate name for `name` in the trash: n = 1 gives name itself, then
// "notes.2.txt", "notes.3.txt" ... (the counter goes before the extension, as GLib does).
std::string candidateName(const std::string& name, int n);

} // namespace ps::trash
