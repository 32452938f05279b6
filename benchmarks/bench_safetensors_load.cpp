// Loading a ~500 MB (475 MiB) checkpoint (a random GPT-2-small-shaped model, fp32): time to open and
// validate the safetensors file, to build zero-copy tensor views, and a full loadCausalLM,
// with the resident set size before and after each step. mmap: no step should copy the
// weights (RSS grows by the pages actually read, not 500 MB; never twice).
//
//   bench_safetensors_load --write DIR   writes DIR/config.json + DIR/model.safetensors
//   bench_safetensors_load DIR           measures (run in a fresh process after --write)
// Without arguments: DIR = /tmp/ps-bench-500mb, written first if missing.
#include "io/torch_tensors.h"
#include "model/causal_lm.h"
#include "ps/safetensors.h"
#include "ps/system_info.h"
#include "util/file_util.h"

#include <chrono>
#include <cstdio>
#include <string>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

using namespace ps;

namespace {

const char* kConfig = R"({"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"n_layer":12,"n_embd":768,
"n_head":12,"vocab_size":50257,"n_positions":1024,"torch_dtype":"float32"})";

double mb(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}
double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void writeModel(const std::string& dir) {
    const auto config = model::parseModelConfig(Json::parse(kConfig), "config");
    auto m = model::randomCausalLM(config, 0);
    NamedTensors tensors;
    for (const auto& p : m->named_parameters())
        tensors.emplace_back(p.key(), p.value());
    writeFileAtomic(joinPath(dir, "config.json"), kConfig);
    const auto t0 = std::chrono::steady_clock::now();
    saveTensors(joinPath(dir, "model.safetensors"), tensors);
    std::printf("wrote %s/model.safetensors: %.0f MiB in %.2f s\n", dir.c_str(),
                mb(fileSize(joinPath(dir, "model.safetensors"))), since(t0));
#ifndef _WIN32
    // Drop the file's pages from the page cache so that the measuring run starts cold.
    const int fd = ::open(joinPath(dir, "model.safetensors").c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
#endif
}

void measure(const std::string& dir) {
    configureThreads(0);
    std::printf("file: %.0f MiB\n", mb(fileSize(joinPath(dir, "model.safetensors"))));
    std::printf("RSS at start:                          %7.0f MiB\n", mb(currentRssBytes()));
    auto t0 = std::chrono::steady_clock::now();
    auto ckpt = SafetensorsCheckpoint::open(dir);
    std::printf("SafetensorsCheckpoint::open   %6.3f s  RSS %7.0f MiB\n", since(t0), mb(currentRssBytes()));

    t0 = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> views;
    for (const auto& name : ckpt->names())
        views.push_back(loadTensor(*ckpt, name));
    std::printf("tensor views of all %3zu tensors %6.3f s  RSS %7.0f MiB\n", views.size(), since(t0),
                mb(currentRssBytes()));
    views.clear();
    ckpt.reset();

    t0 = std::chrono::steady_clock::now();
    auto m = model::loadCausalLM(dir);
    std::printf("loadCausalLM (fp32, zero-copy) %6.3f s  RSS %7.0f MiB\n", since(t0), mb(currentRssBytes()));

    t0 = std::chrono::steady_clock::now();
    {
        torch::NoGradGuard noGrad;
        model::ForwardInput in;
        in.inputIds = torch::randint(0, 50257, {1, 64}, torch::kInt64);
        m->logits(m->forward(in));
    }
    std::printf("first forward [1, 64] (pages in)  %6.3f s  RSS %7.0f MiB (file pages shared with the page cache)\n",
                since(t0), mb(currentRssBytes()));
    m = model::CausalLM(nullptr);

    t0 = std::chrono::steady_clock::now();
    model::LoadOptions bf16;
    bf16.dtype = torch::kBFloat16;
    auto mb16 = model::loadCausalLM(dir, bf16);
    std::printf("loadCausalLM (as bf16, converts)  %6.3f s  RSS %7.0f MiB\n", since(t0), mb(currentRssBytes()));
    std::printf("peak RSS %.0f MiB\n", mb(peakRssBytes()));
}

} // namespace

int main(int argc, char** argv) {
    const std::string defaultDir = "/tmp/ps-bench-500mb";
    try {
        if (argc >= 2 && std::string(argv[1]) == "--write") {
            const std::string dir = argc >= 3 ? argv[2] : defaultDir;
            writeModel(dir);
            return 0;
        }
        const std::string dir = argc >= 2 ? argv[1] : defaultDir;
        if (!isRegularFile(joinPath(dir, "model.safetensors")))
            writeModel(dir);
        measure(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_safetensors_load: %s\n", e.what());
        return 1;
    }
    return 0;
}
