#include "console_observer.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#ifdef _WIN32
#include <io.h>
#define PS_ISATTY _isatty
#define PS_FILENO _fileno
#else
#include <unistd.h>
#define PS_ISATTY isatty
#define PS_FILENO fileno
#endif

namespace ps::cli {
namespace {

std::atomic<StopToken*> gStop{nullptr};

extern "C" void onSignal(int) {
    if (StopToken* s = gStop.load())
        s->requestStop();
}

std::string formatSeconds(double s) {
    const long t = static_cast<long>(s + 0.5);
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    return buf;
}

} // namespace

ConsoleObserver::ConsoleObserver() : tty_(PS_ISATTY(PS_FILENO(stdout)) != 0) {}

void ConsoleObserver::onMetrics(const MetricSample& s) {
    char line[256];
    if (s.kind == MetricSample::Kind::Eval) {
        std::snprintf(line, sizeof line, "eval  step %lld/%lld  eval_loss %.4f  perplexity %.2f",
                      static_cast<long long>(s.step), static_cast<long long>(s.totalSteps), s.evalLoss.value_or(0),
                      s.evalPerplexity().value_or(0));
    } else {
        std::snprintf(line, sizeof line,
                      "step %lld/%lld  epoch %.2f  loss %.4f  lr %.2e  grad_norm %.3f  %.0f tok/s  RSS %.0f MiB  ETA %s",
                      static_cast<long long>(s.step), static_cast<long long>(s.totalSteps), s.epoch, s.loss.value_or(0),
                      s.learningRate.value_or(0), s.gradNorm.value_or(0), s.tokensPerSec,
                      static_cast<double>(s.rssBytes) / 1048576.0, formatSeconds(s.etaSec.value_or(0)).c_str());
    }
    if (tty_ && s.kind == MetricSample::Kind::Train) {
        const int width = 24;
        const int filled = s.totalSteps > 0 ? static_cast<int>(width * s.step / s.totalSteps) : 0;
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::cout << "\r\033[K[" << bar << "] " << line << std::flush;
        barShown_ = true;
    } else {
        if (barShown_)
            std::cout << "\n";
        barShown_ = false;
        std::cout << line << std::endl;
    }
}

void ConsoleObserver::onLog(LogLevel level, const std::string& text) {
    if (level == LogLevel::Debug)
        return;
    if (barShown_) {
        std::cout << "\n";
        barShown_ = false;
    }
    const char* prefix = level == LogLevel::Error ? "error: " : level == LogLevel::Warning ? "warning: " : "";
    std::cout << prefix << text << std::endl;
}

void ConsoleObserver::onStateChanged(TrainerState state) {
    (void)state;
}

StopOnSignal::StopOnSignal(StopToken& stop) {
    gStop = &stop;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

StopOnSignal::~StopOnSignal() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    gStop = nullptr;
}

int reportRunEnd(const RunSummary& s) {
    std::cout << "\n";
    std::cout << "status: " << runStatusName(s.status) << "  steps " << s.steps << "/" << s.totalSteps;
    if (s.finalLoss)
        std::cout << "  final loss " << *s.finalLoss;
    if (s.bestEvalLoss)
        std::cout << "  best eval loss " << *s.bestEvalLoss;
    std::cout << "  " << static_cast<long long>(s.tokensPerSec) << " trained tok/s\n";
    if (!s.error.empty())
        std::cerr << "peft-studio-cli: error: " << s.error << "\n";
    std::cout << "run folder: " << s.runDir << std::endl;
    return s.status == RunStatus::Completed ? 0 : (s.status == RunStatus::Failed ? 1 : 3);
}

} // namespace ps::cli
