// libFuzzer target: reading a run's metrics.jsonl (ps/metrics.h) and cutting it back for a
// resume. The input is the file. Every sample read must survive metricSampleToJson ->
// metricSampleFromJson unchanged; truncateMetricsAfterStep(step) must leave exactly the samples
// with step <= `step`, in order.
#include "fuzz_util.h"
#include "ps/error.h"
#include "ps/metrics.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = ps::fuzz::writeScratchFile("metrics.jsonl", data, size);
    std::vector<ps::MetricSample> samples;
    try {
        samples = ps::readMetricsFile(path);
    } catch (const ps::Error&) {
        return 0;
    }
    for (const ps::MetricSample& s : samples) {
        const std::string line = ps::metricSampleToJson(s);
        PS_FUZZ_CHECK(line.find('\n') == std::string::npos);
        PS_FUZZ_CHECK(ps::metricSampleFromJson(line, "rewritten sample") == s);
    }
    // Cut after the step of the middle sample (or 0): what stays is what a resume keeps.
    const std::int64_t step = samples.empty() ? 0 : samples[samples.size() / 2].step;
    std::vector<ps::MetricSample> expected;
    for (const ps::MetricSample& s : samples)
        if (s.step <= step)
            expected.push_back(s);
    ps::truncateMetricsAfterStep(path, step);
    bool torn = true;
    const std::vector<ps::MetricSample> after = ps::readMetricsFile(path, &torn);
    PS_FUZZ_CHECK(after == expected);
    return 0;
}
