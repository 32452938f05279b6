#pragma once
// RunLock — one process trains a run folder at a time. Two `resume RUN` (or a GUI and a CLI on the
// same run) would interleave checkpoints and metrics lines; the second is refused instead. The
// lock is an OS file lock on <run>/.lock (flock on POSIX, an exclusive handle on Windows), so the
// kernel drops it when the holder exits, crashes or is killed: a stale lock never blocks a resume.
#include <string>

namespace ps::runs {

class RunLock final {
public:
    // Throws ps::Error "<run>: the run is in use by another process ..." when it is held elsewhere.
    explicit RunLock(const std::string& runDir);
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

private:
#ifdef _WIN32
    void* handle_ = nullptr;
#else
    int fd_ = -1;
#endif
};

// True while some process holds the run's lock, i.e. is training or resuming it. A summary that
// says "running" while nobody holds the lock belongs to a process that was killed or crashed.
// The probe takes and drops a shared lock (POSIX) or opens the file (Windows) for an instant;
// RunLock retries briefly, so a training that starts at that instant is not refused.
bool isRunLockHeld(const std::string& runDir);

} // namespace ps::runs
