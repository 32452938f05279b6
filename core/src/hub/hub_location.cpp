// Where the Hugging Face hub cache lives, with huggingface_hub's precedence (constants.py).
#include "ps/hub.h"

#include "hub/platform_paths.h"

namespace ps {

HubCacheLocation huggingFaceCacheLocation() {
    using platform::environmentValue;
    using platform::expandHome;
    using platform::fromPath;
    using platform::toPath;

    for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
        if (auto v = environmentValue(name))
            return {expandHome(*v), name};
    if (auto v = environmentValue("HF_HOME"))
        return {fromPath(toPath(expandHome(*v)) / "hub"), "HF_HOME"};
    if (auto v = environmentValue("XDG_CACHE_HOME"))
        return {fromPath(toPath(expandHome(*v)) / "huggingface" / "hub"), "XDG_CACHE_HOME"};
    // Without a home folder there is no default cache; a relative path keeps the scan harmless.
    const std::string home = platform::homeDirectory().value_or(".");
    return {fromPath(toPath(home) / ".cache" / "huggingface" / "hub"), "home"};
}

} // namespace ps
