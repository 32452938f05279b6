// libFuzzer target: the run-configuration YAML (ps/run_config.h). The input is a config.yaml.
// An accepted config must round-trip exactly through runConfigToYaml (the documented promise),
// and validation must answer with problems, never crash.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    ps::RunConfig config;
    try {
        config = ps::parseRunConfigYaml(yaml, "config.yaml");
    } catch (const ps::Error&) {
        return 0;
    }
    const std::string again = ps::runConfigToYaml(config);
    PS_FUZZ_CHECK(ps::parseRunConfigYaml(again, "rewritten config.yaml") == config);
    for (const ps::ConfigProblem& p : ps::runConfigProblems(config, false))
        PS_FUZZ_CHECK(!p.message.empty());
    (void)ps::runConfigCommandLine(config);
    return 0;
}
