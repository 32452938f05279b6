// `eval`: the mean loss equals cross-entropy computed independently from full logits (the
// inference API, one example at a time) over the tokens that carry a label; an adapter changes
// it the way its logits do; bad input is an error.
#include "trainer_test_util.h"

#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/evaluate.h"
#include "ps/inference.h"
#include "ps/tokenizer.h"

#include <QtTest>

#include <cmath>

using namespace ps;
using namespace ps::test;

namespace {

// Sum over positions t >= 1 with labels[t] != -100 of -log softmax(logits[t-1])[labels[t]].
double referenceLossSum(const std::string& model, const std::string& adapter, const std::vector<std::int32_t>& ids,
                        const std::vector<std::int32_t>& labels, std::int64_t* count) {
    LogitsRequest req;
    req.modelDir = model;
    req.adapterDir = adapter;
    req.rows = {std::vector<std::int64_t>(ids.begin(), ids.end())};
    const Logits out = computeLogits(req);
    double sum = 0;
    for (std::size_t t = 1; t < ids.size(); ++t) {
        if (labels[t] == -100)
            continue;
        const float* row = out.values.data() + (t - 1) * static_cast<std::size_t>(out.vocab);
        double mx = row[0];
        for (std::int64_t v = 1; v < out.vocab; ++v)
            mx = std::max(mx, static_cast<double>(row[v]));
        double z = 0;
        for (std::int64_t v = 0; v < out.vocab; ++v)
            z += std::exp(static_cast<double>(row[v]) - mx);
        sum += -(static_cast<double>(row[labels[t]]) - mx - std::log(z));
        ++*count;
    }
    return sum;
}

} // namespace

class TestEvaluate : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::string model_, data_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        model_ = makeTinyModel(tmp_.path().toStdString());
        data_ = writeAlpacaData(tmp_.path().toStdString(), 7);
    }

    void lossEqualsReferenceCrossEntropy_data() {
        QTest::addColumn<bool>("trainOnPrompt");
        QTest::addColumn<int>("batch");
        QTest::newRow("responses only, batch 3") << false << 3;
        QTest::newRow("every token, batch 1") << true << 1;
    }

    void lossEqualsReferenceCrossEntropy() {
        QFETCH(bool, trainOnPrompt);
        QFETCH(int, batch);
        EvalOptions o;
        o.modelDir = model_;
        o.dataset = data_;
        o.templateName = "alpaca";
        o.cutoffLen = 128;
        o.batchSize = batch;
        o.trainOnPrompt = trainOnPrompt;
        o.device = "cpu";
        const EvalResult r = evaluateDataset(o);

        auto tokenizer = Tokenizer::load(model_);
        TokenizeOptions tok;
        tok.cutoffLen = 128;
        tok.trainOnPrompt = trainOnPrompt;
        tok.chatFamily = *chatFamilyFromName("alpaca");
        const auto data = tokenizeDataset(data_, *tokenizer, {}, tok);
        double sum = 0;
        std::int64_t count = 0;
        for (std::size_t i = 0; i < data.size(); ++i)
            sum += referenceLossSum(model_, "", data.inputIds(i), data.labels(i), &count);
        QCOMPARE(r.examples, std::uint64_t{7});
        QCOMPARE(r.tokens, static_cast<std::uint64_t>(count));
        QVERIFY2(std::abs(r.loss - sum / static_cast<double>(count)) <= 1e-5,
                 qPrintable(QStringLiteral("%1 vs %2").arg(r.loss, 0, 'g', 10).arg(sum / static_cast<double>(count), 0, 'g', 10)));
        QVERIFY(std::abs(r.perplexity - std::exp(r.loss)) <= 1e-9 * r.perplexity);
    }

    void badInputIsAnError() {
        EvalOptions o;
        o.modelDir = model_;
        o.dataset = tmp_.path().toStdString() + "/missing.jsonl";
        QVERIFY_EXCEPTION_THROWN(evaluateDataset(o), Error);
        o.dataset = data_;
        o.dtype = "fp8";
        QVERIFY_EXCEPTION_THROWN(evaluateDataset(o), Error);
        o.dtype = "fp32";
        o.device = "tpu";
        QVERIFY_EXCEPTION_THROWN(evaluateDataset(o), Error);
        o.device = "cpu";
        o.adapterDir = tmp_.path().toStdString() + "/no-adapter";
        QVERIFY_EXCEPTION_THROWN(evaluateDataset(o), Error);
    }
};

QTEST_APPLESS_MAIN(TestEvaluate)
#include "tst_evaluate.moc"
