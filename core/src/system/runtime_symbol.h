#pragma once
// A function of a library the process has already loaded, looked up at run time (internal
// header; no torch): OpenBLAS's pool size and sgemm_, oneDNN's sgemm, OpenMP's thread count.
// Why: each exists in some LibTorch builds and not in others (Debian links OpenBLAS and oneDNN,
// PyTorch's own builds MKL), so linking against them would tie the studio to one build.
// nullptr where the process has no such symbol or the platform has no dlsym.
#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define PS_HAVE_DLSYM 1
#endif

namespace ps::system {

template <typename Fn> Fn runtimeSymbol(const char* name) {
#ifdef PS_HAVE_DLSYM
    return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
#else
    (void)name;
    return nullptr;
#endif
}

} // namespace ps::system
