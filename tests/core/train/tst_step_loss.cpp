// The loss of a micro-batch: packing several examples into one row (block-diagonal attention,
// positions restarted) gives the same loss and gradients as running each example on its own,
// and accumulating the gradients of N micro-batches equals one batch N times larger.
#include "trainer_test_util.h"

#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "ps/dataset.h"
#include "ps/tokenizer.h"
#include "ps/run_method.h"
#include "train/batch_plan.h"
#include "train/step_loss.h"
#include "util/json_util.h"

#include <QtTest>

using namespace ps;
using namespace ps::test;

namespace {

std::vector<torch::Tensor> gradsOf(adapters::PeftModel& peft) {
    std::vector<torch::Tensor> out;
    for (const auto& p : peft.trainableParameters())
        out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return out;
}

void zeroGrads(adapters::PeftModel& peft) {
    for (auto p : peft.trainableParameters())
        if (p.grad().defined())
            p.mutable_grad().zero_();
}

double maxDiff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
}

} // namespace

class TestStepLoss : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::shared_ptr<Tokenizer> tokenizer_;
    TokenizedDataset data_;
    std::unique_ptr<adapters::PeftModel> peft_;

    // With sharing, the alpaca template's opening goes ahead of the rows once per micro-batch
    // unless `microBatchPrefix` is false (gradient checkpointing turns it off).
    train::BatchPlanner planner(bool packing, bool allowPacking, bool sharePrefix = true, bool microBatchPrefix = true) {
        RunConfig c;
        c.cutoff_len = 256;
        c.packing = packing;
        c.packing_shared_prefix = sharePrefix;
        c.gradient_checkpointing = !microBatchPrefix;
        c.per_device_train_batch_size = 4;
        c.gradient_accumulation_steps = 2; // 8 rows per step: enough for the shared opening
        return train::BatchPlanner(data_, {0, 1, 2, 3, 4, 5}, c, allowPacking);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        const std::string model = makeTinyModel(tmp_.path().toStdString());
        const std::string file = writeAlpacaData(tmp_.path().toStdString(), 6);
        tokenizer_ = Tokenizer::load(model);
        ReadOptions read;
        TokenizeOptions tok;
        tok.cutoffLen = 256;
        tok.chatFamily = *chatFamilyFromName("alpaca");
        data_ = tokenizeDataset(file, *tokenizer_, read, tok);
        QCOMPARE(data_.size(), std::size_t{6});
        RunConfig rc;
        rc.model_name_or_path = model;
        rc.finetuning_type = "lora";
        rc.lora_rank = 4;
        rc.lora_alpha = 8;
        peft_ = std::make_unique<adapters::PeftModel>(model::loadCausalLM(model, {}),
                                                      adapterSpecForRun(rc), 11);
        // LoRA's B starts at zero, which would make A's gradient zero: give every adapter
        // tensor random values so that all gradients are exercised.
        torch::NoGradGuard noGrad;
        torch::manual_seed(5);
        for (auto p : peft_->trainableParameters())
            p.copy_(torch::randn_like(p) * 0.05);
    }

    void packedEqualsUnpacked_data() {
        QTest::addColumn<bool>("sharePrefix");
        QTest::addColumn<bool>("microBatchPrefix");
        QTest::newRow("template opening once per micro-batch") << true << true;
        QTest::newRow("template prefix shared in rows") << true << false;
        QTest::newRow("each example whole") << false << false;
    }

    void packedEqualsUnpacked() {
        QFETCH(bool, sharePrefix);
        QFETCH(bool, microBatchPrefix);
        auto packedPlanner = planner(true, true, sharePrefix, microBatchPrefix);
        const train::MicroBatchPlan packedPlan = {{0, 1, 2}, {3, 4, 5}};            // 2 rows of 3 examples
        const train::MicroBatchPlan rowsPlan = {{0}, {1}, {2}, {3}, {4}, {5}};        // 6 padded rows
        auto packed = packedPlanner.materialise(packedPlan, torch::kCPU);
        // The reference: each example alone in its row, nothing shared.
        auto unpacked = planner(false, true, false).materialise(rowsPlan, torch::kCPU);
        QVERIFY(!unpacked.prefixIds.defined());
        QCOMPARE(packed.prefixIds.defined(), microBatchPrefix);
        if (microBatchPrefix) { // alpaca's opening, then the row's keys
            QVERIFY2(packed.prefixIds.size(1) >= 11, qPrintable(QString::number(packed.prefixIds.size(1))));
            QCOMPARE(packed.attentionBias.size(3), packed.prefixIds.size(1) + packed.inputIds.size(1));
            QVERIFY(torch::equal(packed.prefixIds[0], unpacked.inputIds[0].narrow(0, 0, packed.prefixIds.size(1))));
        }
        QCOMPARE(packed.trainedTokens, unpacked.trainedTokens);
        QCOMPARE(packed.inputIds.size(0), std::int64_t{2});
        // The alpaca template's opening lines are the same untrained tokens in every example: with
        // sharing, each row holds them once (the equality below is then that of a tree of examples).
        if (sharePrefix)
            QVERIFY2(packed.tokens <= unpacked.tokens - 2 * 2 * 10,
                     qPrintable(QStringLiteral("%1 vs %2 tokens").arg(packed.tokens).arg(unpacked.tokens)));
        else
            QCOMPARE(packed.tokens, unpacked.tokens);

        zeroGrads(*peft_);
        auto lp = train::microBatchLossSum(*peft_, packed);
        lp.backward();
        const auto gp = gradsOf(*peft_);
        zeroGrads(*peft_);
        auto lu = train::microBatchLossSum(*peft_, unpacked);
        lu.backward();
        const auto gu = gradsOf(*peft_);
        const double a = lp.item<double>() / static_cast<double>(packed.trainedTokens);
        const double b = lu.item<double>() / static_cast<double>(unpacked.trainedTokens);
        QVERIFY2(std::abs(a - b) <= 1e-5, qPrintable(QStringLiteral("packed %1 unpacked %2").arg(a, 0, 'g', 10).arg(b, 0, 'g', 10)));
        QVERIFY2(maxDiff(gp, gu) <= 1e-5 * std::max(1.0, static_cast<double>(packed.trainedTokens)),
                 qPrintable(QString::number(maxDiff(gp, gu))));

        // Micro-batches reading one pass over the prefix (an optimizer step's), its gradient carried
        // back once after both, give the same loss and gradients.
        if (microBatchPrefix) {
            const auto first = packedPlanner.materialise({{0, 1, 2}}, torch::kCPU);
            const auto second = packedPlanner.materialise({{3, 4, 5}}, torch::kCPU);
            zeroGrads(*peft_);
            train::SharedPrefix shared(*peft_, first.prefixIds);
            QVERIFY(shared.serves(second.prefixIds));
            auto l1 = train::microBatchLossSum(*peft_, first, &shared);
            l1.backward();
            auto l2 = train::microBatchLossSum(*peft_, second, &shared);
            l2.backward();
            shared.backward();
            const double e = (l1.item<double>() + l2.item<double>()) /
                             static_cast<double>(first.trainedTokens + second.trainedTokens);
            QVERIFY2(std::abs(e - b) <= 1e-5, qPrintable(QStringLiteral("%1 vs %2").arg(e, 0, 'g', 10).arg(b, 0, 'g', 10)));
            QVERIFY2(maxDiff(gradsOf(*peft_), gu) <= 1e-5 * std::max(1.0, static_cast<double>(packed.trainedTokens)),
                     qPrintable(QString::number(maxDiff(gradsOf(*peft_), gu))));
        }

        // One example per row after the micro-batch's prefix (validation batches) agrees too.
        if (microBatchPrefix) {
            auto alone = packedPlanner.materialise(rowsPlan, torch::kCPU);
            QVERIFY(alone.prefixIds.defined());
            QCOMPARE(alone.tokens, unpacked.tokens - 5 * alone.prefixIds.size(1));
            zeroGrads(*peft_);
            auto la = train::microBatchLossSum(*peft_, alone);
            la.backward();
            const double d = la.item<double>() / static_cast<double>(alone.trainedTokens);
            QVERIFY2(std::abs(d - b) <= 1e-5, qPrintable(QStringLiteral("%1 vs %2").arg(d, 0, 'g', 10).arg(b, 0, 'g', 10)));
            QVERIFY(maxDiff(gradsOf(*peft_), gu) <= 1e-5 * std::max(1.0, static_cast<double>(alone.trainedTokens)));
        }

        // The attention-mask path (used when packing is impossible) agrees as well.
        auto maskPlanner = planner(false, false);
        auto masked = maskPlanner.materialise(rowsPlan, torch::kCPU);
        QVERIFY(!masked.attentionBias.defined());
        const double c = train::microBatchLossSum(*peft_, masked).item<double>() /
                         static_cast<double>(masked.trainedTokens);
        QVERIFY(std::abs(c - b) <= 1e-5);
    }

    void accumulationEqualsOneLargerBatch() {
        auto p = planner(false, true);
        const std::vector<std::size_t> ids = {0, 1, 2, 3};
        train::MicroBatchPlan all;
        for (auto i : ids)
            all.push_back({i});
        auto big = p.materialise(all, torch::kCPU);
        zeroGrads(*peft_);
        const double bigLoss = train::microBatchLossSum(*peft_, big).item<double>();
        (train::microBatchLossSum(*peft_, big) / static_cast<double>(big.trainedTokens)).backward();
        const auto gBig = gradsOf(*peft_);

        // The trainer's accumulation: each micro-batch's sum divided by the STEP's trained tokens.
        zeroGrads(*peft_);
        double sum = 0;
        std::int64_t tokens = 0;
        std::vector<train::MicroBatch> micro;
        for (auto i : ids) {
            micro.push_back(p.materialise({{i}}, torch::kCPU));
            tokens += micro.back().trainedTokens;
        }
        for (const auto& mb : micro) {
            auto l = train::microBatchLossSum(*peft_, mb);
            sum += l.item<double>();
            (l / static_cast<double>(tokens)).backward();
        }
        QCOMPARE(tokens, big.trainedTokens);
        QVERIFY(std::abs(sum - bigLoss) / static_cast<double>(tokens) <= 1e-5);
        QVERIFY2(maxDiff(gBig, gradsOf(*peft_)) <= 1e-5, qPrintable(QString::number(maxDiff(gBig, gradsOf(*peft_)))));
    }

    // Prompt tuning puts its virtual tokens before each row: the loss skips them and reads each
    // label at the position before it, as a plain cross-entropy over the whole forward does.
    void promptTuningLossSkipsTheVirtualTokens() {
        RunConfig rc;
        rc.model_name_or_path = makeTinyModel(tmp_.path().toStdString());
        rc.finetuning_type = "prompt";
        rc.num_virtual_tokens = 3;
        adapters::PeftModel prompt(model::loadCausalLM(rc.model_name_or_path, {}), adapterSpecForRun(rc), 13);
        QCOMPARE(prompt.numPrependedRows(), std::int64_t{3});
        auto p = planner(false, false);
        const auto mb = p.materialise({{0}, {1}, {2}}, torch::kCPU);
        const double loss = train::microBatchLossSum(prompt, mb).item<double>();

        torch::NoGradGuard noGrad;
        model::ForwardInput in;
        in.inputIds = mb.inputIds;
        in.attentionMask = mb.attentionMask;
        const auto hidden = prompt.forward(in); // [B, 3 + T, H]
        const auto T = mb.inputIds.size(1);
        const auto logits = prompt.logits(hidden.narrow(1, 3, T - 1));
        const auto ref = torch::nn::functional::cross_entropy(
            logits.reshape({-1, logits.size(-1)}).to(torch::kFloat64), mb.labels.narrow(1, 1, T - 1).reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum).ignore_index(-100));
        QVERIFY2(std::abs(loss - ref.item<double>()) <= 1e-4 * std::abs(ref.item<double>()),
                 qPrintable(QStringLiteral("%1 vs %2").arg(loss, 0, 'g', 10).arg(ref.item<double>(), 0, 'g', 10)));
    }
};

QTEST_APPLESS_MAIN(TestStepLoss)
#include "tst_step_loss.moc"
