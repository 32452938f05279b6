// Rotary inverse frequencies against transformers' formulas (modeling_rope_utils
// _compute_default / _linear_scaling / _dynamic_ntk / _llama3 parameters), recomputed here in
// double precision independently of the implementation.
#include "model/model_config.h"
#include "model/rope.h"
#include "system/parallel_parts.h"

#include "ps/error.h"

#include <QtTest>

#include <cmath>
#include <vector>

using namespace ps;
using model::ModelConfig;

namespace {

std::vector<double> defaultInvFreq(double base, int dim) {
    std::vector<double> out;
    for (int i = 0; i < dim; i += 2)
        out.push_back(1.0 / std::pow(base, static_cast<double>(i) / dim));
    return out;
}

std::vector<double> expectedInvFreq(const ModelConfig& c, std::int64_t seqLen) {
    const int dim = static_cast<int>(c.headDim);
    const auto& rs = c.ropeScaling;
    if (rs.type == "linear") {
        auto f = defaultInvFreq(c.ropeTheta, dim);
        for (auto& v : f)
            v /= rs.factor;
        return f;
    }
    if (rs.type == "dynamic") {
        const double maxPos = static_cast<double>(c.maxPositionEmbeddings);
        const double len = static_cast<double>(std::max<std::int64_t>(seqLen, c.maxPositionEmbeddings));
        const double base = c.ropeTheta * std::pow(rs.factor * len / maxPos - (rs.factor - 1.0), dim / (dim - 2.0));
        return defaultInvFreq(base, dim);
    }
    auto f = defaultInvFreq(c.ropeTheta, dim);
    if (rs.type == "llama3") {
        const double oldCtx = static_cast<double>(rs.originalMaxPositionEmbeddings);
        const double lowWavelen = oldCtx / rs.lowFreqFactor, highWavelen = oldCtx / rs.highFreqFactor;
        for (auto& v : f) {
            const double wavelen = 2.0 * M_PI / v;
            if (wavelen < highWavelen)
                continue;
            if (wavelen > lowWavelen) {
                v /= rs.factor;
            } else {
                const double smooth = (oldCtx / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
                v = (1.0 - smooth) * v / rs.factor + smooth * v;
            }
        }
    }
    return f;
}

ModelConfig ropeConfig(const char* scaling) {
    const std::string json = std::string(R"({"model_type":"llama","hidden_size":512,"num_attention_heads":4,)"
                                         R"("max_position_embeddings":2048,"rope_theta":500000.0,"rope_scaling":)") +
                             scaling + "}";
    return model::parseModelConfig(Json::parse(json), "config.json");
}

} // namespace

class TestRope final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void invFreqMatchesTransformersFormulas_data() {
        QTest::addColumn<QString>("scaling");
        QTest::addColumn<qint64>("seqLen");
        QTest::newRow("default") << QStringLiteral("null") << qint64(100);
        QTest::newRow("linear factor 4") << QStringLiteral(R"({"type":"linear","factor":4.0})") << qint64(100);
        QTest::newRow("dynamic, shorter than max positions")
            << QStringLiteral(R"({"type":"dynamic","factor":2.0})") << qint64(1000);
        QTest::newRow("dynamic, longer than max positions")
            << QStringLiteral(R"({"rope_type":"dynamic","factor":2.0})") << qint64(5000);
        QTest::newRow("llama3 (Llama 3.1 values)")
            << QStringLiteral(R"({"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,)"
                              R"("original_max_position_embeddings":8192})")
            << qint64(100);
        QTest::newRow("llama3 with a short original context")
            << QStringLiteral(R"({"rope_type":"llama3","factor":4.0,"low_freq_factor":2.0,"high_freq_factor":8.0,)"
                              R"("original_max_position_embeddings":512})")
            << qint64(100);
    }
    void invFreqMatchesTransformersFormulas() {
        QFETCH(QString, scaling);
        QFETCH(qint64, seqLen);
        const ModelConfig c = ropeConfig(scaling.toUtf8().constData());
        QCOMPARE(c.headDim, std::int64_t(128));
        const auto expected = expectedInvFreq(c, seqLen);
        const auto got = model::ropeInvFreq(c, seqLen).to(torch::kFloat64).contiguous();
        QCOMPARE(got.numel(), static_cast<std::int64_t>(expected.size()));
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const double g = got[static_cast<std::int64_t>(i)].item<double>();
            QVERIFY2(std::fabs(g - expected[i]) <= 2e-6 * std::fabs(expected[i]),
                     qPrintable(QStringLiteral("i=%1 got %2 expected %3").arg(i).arg(g).arg(expected[i])));
        }
    }

    void llama3ScalingKeepsHighFrequencies() {
        const ModelConfig c = ropeConfig(R"({"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,)"
                                         R"("high_freq_factor":4.0,"original_max_position_embeddings":8192})");
        const auto scaled = model::ropeInvFreq(c, 1);
        const auto plain = model::ropeDefaultInvFreq(c.ropeTheta, c.headDim);
        QCOMPARE(scaled[0].item<float>(), plain[0].item<float>());
        QVERIFY(std::fabs(scaled[-1].item<double>() - plain[-1].item<double>() / 8.0) < 1e-12);
    }

    void unsupportedScalingIsAnError() {
        try {
            ropeConfig(R"({"type":"yarn","factor":4.0})");
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("rope_scaling type 'yarn' is not supported")),
                     e.what());
        }
        QVERIFY_EXCEPTION_THROWN(ropeConfig(R"({"type":"llama3","factor":8.0})"), Error);
    }

    void rotationAtPositionZeroIsIdentityAndPreservesNorm() {
        const auto x = torch::randn({1, 2, 3, 8});
        const auto inv = model::ropeDefaultInvFreq(10000.0, 8);
        const auto zero = model::ropeTables(inv, torch::zeros({1, 3}, torch::kInt64), torch::kFloat32);
        QVERIFY(torch::allclose(model::applyRope(x, zero), x));
        const auto pos =
            model::ropeTables(inv, torch::tensor({5, 17, 300}, torch::kInt64).view({1, 3}), torch::kFloat32);
        const auto y = model::applyRope(x, pos);
        QVERIFY(torch::allclose(y.norm(2, -1), x.norm(2, -1), 1e-5, 1e-5));
    }

    // While training on the CPU, applyRope is one node with hand-written loops. Against the
    // recorded expression x * cos + rotate_half(x) * sin written out here: output and input
    // gradient, for the [B, H, T, D] view of a [B, T, H, D] projection (as the model passes it),
    // per-row positions (packed sequences), partial rotary (the rest passes through), and its
    // (b, h) rows cut into 3 parts on helper threads or not (the same bits).
    void trainingNodeMatchesTheExpression_data() {
        QTest::addColumn<int>("rot");
        QTest::addColumn<int>("parts");
        QTest::newRow("full rotary, one part") << 16 << 1;
        QTest::newRow("full rotary, 3 parts") << 16 << 3;
        QTest::newRow("partial rotary (8 of 16), 3 parts") << 8 << 3;
    }
    void trainingNodeMatchesTheExpression() {
        QFETCH(int, rot);
        QFETCH(int, parts);
        const std::int64_t B = 3, T = 9, H = 5, D = 16;
        torch::manual_seed(31);
        const auto proj0 = torch::randn({B, T, H * D});
        const auto positions = torch::randint(0, 40, {B, T}, torch::kInt64);
        const auto tables = model::ropeTables(model::ropeDefaultInvFreq(10000.0, rot), positions, torch::kFloat32);
        const auto gOut = torch::randn({B, H, T, D});
        const auto expression = [&](const torch::Tensor& x) {
            const auto xr = x.narrow(-1, 0, rot), pass = x.narrow(-1, rot, D - rot);
            const auto h = rot / 2;
            const auto rotated = torch::cat({-xr.narrow(-1, h, h), xr.narrow(-1, 0, h)}, -1);
            return torch::cat({xr * tables.cos + rotated * tables.sin, pass}, -1);
        };
        const auto run = [&](bool node) {
            auto proj = proj0.clone().requires_grad_(true);
            const auto x = proj.view({B, T, H, D}).transpose(1, 2);
            system::overrideSmallProductParts(parts);
            const auto out = node ? model::applyRope(x, tables) : expression(x);
            (out * gOut).sum().backward();
            system::overrideSmallProductParts(0);
            return std::make_pair(out, proj.grad());
        };
        const auto [out, grad] = run(true);
        const auto [refOut, refGrad] = run(false);
        QVERIFY(out.grad_fn() && out.grad_fn()->name().find("RopeFunction") != std::string::npos);
        QVERIFY(out.is_contiguous()); // the attention's layout
        QVERIFY((out.detach() - refOut.detach()).abs().max().item<double>() <= 1e-6);
        QVERIFY((grad - refGrad).abs().max().item<double>() <= 1e-6);
        QVERIFY(grad.abs().sum().item<double>() > 0.0);
        system::overrideSmallProductParts(1);
        auto proj = proj0.clone().requires_grad_(true);
        (model::applyRope(proj.view({B, T, H, D}).transpose(1, 2), tables) * gOut).sum().backward();
        system::overrideSmallProductParts(0);
        QVERIFY(torch::equal(proj.grad(), grad));
    }
};

QTEST_APPLESS_MAIN(TestRope)
#include "tst_rope.moc"
