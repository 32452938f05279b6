#pragma once
// Moving files to the user's trash instead of deleting them, so that "Delete run" in the studio
// can be undone from the file manager. One call, two platform implementations:
//   Linux (any freedesktop.org desktop): the Trash specification 1.0 — the item moves to
//     $XDG_DATA_HOME/Trash/files/ (~/.local/share/Trash) with an info/<name>.trashinfo file
//     recording where it came from and when; items on another file system go to that file
//     system's $topdir/.Trash/$uid or $topdir/.Trash-$uid, as the spec says.
//   Windows: the Recycle Bin through the shell (SHFileOperationW with FOF_ALLOWUNDO).
#include <string>

namespace ps {

// Moves `path` (a file, a symbolic link or a folder with everything in it) to the trash.
// Returns where the item now is when the platform says (Linux: <trash>/files/<name>), else "".
// Throws ps::Error naming the path and the reason when it cannot, and then nothing has moved:
// a missing path, no usable trash on that file system, no permission.
std::string moveToTrash(const std::string& path);

} // namespace ps
