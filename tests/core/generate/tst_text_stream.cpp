// Streaming text: pieces from the incremental detokenizer are whole UTF-8 characters whose
// concatenation is the decoded text (byte-level BPE and SentencePiece byte-fallback fixtures,
// emoji and CJK split over byte tokens), and stop strings are found across pieces and never
// shown, even in part.
#include "generate/incremental_detokenizer.h"
#include "generate/stop_strings.h"
#include "ps/tokenizer.h"

#include <QtTest>

#include <string>
#include <vector>

using namespace ps;

namespace {

std::string tokenizerFixture(const QString& name) {
    return std::string(PS_FIXTURES) + "/tokenizers/" + name.toStdString();
}

// Strict UTF-8 check: every sequence complete, no overlongs, no surrogates.
bool validUtf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 9;
        if (n == 9 || i + n >= s.size())
            return false;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

} // namespace

class TstTextStream final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void piecesAreWholeCharacters_data() {
        QTest::addColumn<QString>("tokenizer");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("context");
        const QString mixed =
            QStringLiteral("Caf\u00e9 \u2014 \u6771\u4eac\u3067 \U0001F914\U0001F937\u200d\u2642\ufe0f ok!");
        for (const char* tok : {"gpt2", "llama2-spm", "llama3-bpe", "qwen2-bpe", "metaspace-new"}) {
            const QString name = QString::fromLatin1(tok);
            QTest::newRow(qPrintable(name + QStringLiteral(": emoji, CJK, accents"))) << name << mixed << 0;
            QTest::newRow(qPrintable(name + QStringLiteral(": after 3 prompt tokens"))) << name << mixed << 3;
            QTest::newRow(qPrintable(name + QStringLiteral(": plain English")))
                << name << QStringLiteral("The quick brown fox jumps over the lazy dog.") << 2;
        }
    }
    void piecesAreWholeCharacters() {
        QFETCH(QString, tokenizer);
        QFETCH(QString, text);
        QFETCH(int, context);
        const auto tok = Tokenizer::load(tokenizerFixture(tokenizer));
        const auto ids = tok->encode(text.toStdString());
        QVERIFY(static_cast<int>(ids.size()) > context);
        const std::vector<std::int32_t> prompt(ids.begin(), ids.begin() + context);
        const std::vector<std::int32_t> generated(ids.begin() + context, ids.end());
        gen::IncrementalDetokenizer detok([&](const std::vector<std::int32_t>& v) { return tok->decode(v, true); },
                                          prompt);
        std::string joined;
        int pieces = 0;
        for (const auto id : generated) {
            const std::string piece = detok.push(id);
            QVERIFY2(validUtf8(piece), piece.c_str());
            pieces += piece.empty() ? 0 : 1;
            joined += piece;
        }
        joined += detok.flush();
        // What follows the prompt's text: decode(prompt + generated) minus decode(prompt).
        const std::string all = tok->decode(ids, true);
        const std::string before = tok->decode(prompt, true);
        QVERIFY(all.compare(0, before.size(), before) == 0);
        QCOMPARE(QString::fromStdString(joined), QString::fromStdString(all.substr(before.size())));
        QVERIFY(pieces > 1);
    }

    // A 4-byte emoji spread over 4 byte tokens arrives in one piece with the last byte.
    void byteTokensOfOneCharacterArriveTogether() {
        const auto tok = Tokenizer::load(tokenizerFixture(QStringLiteral("llama2-spm")));
        const std::string emoji = "\xF0\x9F\xA4\x94"; // U+1F914
        std::vector<std::int32_t> bytes;
        for (const unsigned char b : emoji) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            const auto id = tok->tokenToId(name);
            QVERIFY2(id.has_value(), name);
            bytes.push_back(*id);
        }
        gen::IncrementalDetokenizer detok([&](const std::vector<std::int32_t>& v) { return tok->decode(v, true); });
        QCOMPARE(detok.push(bytes[0]), std::string());
        QCOMPARE(detok.push(bytes[1]), std::string());
        QCOMPARE(detok.push(bytes[2]), std::string());
        QCOMPARE(detok.push(bytes[3]), emoji);
        QCOMPARE(detok.flush(), std::string());
    }

    // An incomplete character at the end of the stream comes out on flush as the tokenizer
    // decodes it (byte fallback: one U+FFFD per byte token, as `tokenizers` does).
    void flushReplacesAnIncompleteCharacter() {
        const auto tok = Tokenizer::load(tokenizerFixture(QStringLiteral("llama2-spm")));
        gen::IncrementalDetokenizer detok([&](const std::vector<std::int32_t>& v) { return tok->decode(v, true); });
        QCOMPARE(detok.push(*tok->tokenToId("<0xF0>")), std::string());
        QCOMPARE(detok.push(*tok->tokenToId("<0x9F>")), std::string());
        QCOMPARE(detok.flush(), std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));
    }

    void endsIncomplete_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("incomplete");
        QTest::newRow("ascii") << QByteArray("abc") << false;
        QTest::newRow("complete 2-byte") << QByteArray("caf\xC3\xA9") << false;
        QTest::newRow("lead byte only") << QByteArray("caf\xC3") << true;
        QTest::newRow("3 of 4 bytes") << QByteArray("x\xF0\x9F\xA4") << true;
        QTest::newRow("complete 4-byte") << QByteArray("x\xF0\x9F\xA4\x94") << false;
        QTest::newRow("replacement character") << QByteArray("x\xEF\xBF\xBD") << true;
        QTest::newRow("empty") << QByteArray() << false;
    }
    void endsIncomplete() {
        QFETCH(QByteArray, text);
        QFETCH(bool, incomplete);
        QCOMPARE(gen::endsIncomplete(text.toStdString()), incomplete);
    }

    void stopStrings_data() {
        QTest::addColumn<QStringList>("pieces");
        QTest::addColumn<QStringList>("stops");
        QTest::addColumn<QStringList>("shown"); // what each push returns
        QTest::addColumn<bool>("stopped");
        QTest::newRow("no stop strings pass everything")
            << QStringList{QStringLiteral("ab"), QStringLiteral("cd")} << QStringList{}
            << QStringList{QStringLiteral("ab"), QStringLiteral("cd")} << false;
        QTest::newRow("match inside one piece")
            << QStringList{QStringLiteral("hello END world")} << QStringList{QStringLiteral("END")}
            << QStringList{QStringLiteral("hello ")} << true;
        QTest::newRow("match across pieces, the start held back")
            << QStringList{QStringLiteral("one E"), QStringLiteral("N"), QStringLiteral("D two")}
            << QStringList{QStringLiteral("END")} << QStringList{QStringLiteral("one "), QString(), QString()} << true;
        QTest::newRow("a false start is released")
            << QStringList{QStringLiteral("one E"), QStringLiteral("Nx"), QStringLiteral("y")}
            << QStringList{QStringLiteral("END")}
            << QStringList{QStringLiteral("one "), QStringLiteral("ENx"), QStringLiteral("y")} << false;
        QTest::newRow("overlapping prefixes (aab in aaab)")
            << QStringList{QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("a"), QStringLiteral("b")}
            << QStringList{QStringLiteral("aab")} << QStringList{QString(), QString(), QStringLiteral("a"), QString()}
            << true;
        QTest::newRow("the earliest of several stop strings wins")
            << QStringList{QStringLiteral("x</s>y###z")} << QStringList{QStringLiteral("###"), QStringLiteral("</s>")}
            << QStringList{QStringLiteral("x")} << true;
        QTest::newRow("stop string at the very start")
            << QStringList{QStringLiteral("\nUser:"), QStringLiteral("more")} << QStringList{QStringLiteral("\nUser:")}
            << QStringList{QString(), QString()} << true;
        QTest::newRow("multi-byte stop string")
            << QStringList{QStringLiteral("fin \u00e9"), QStringLiteral("\u00e9t\u00e9!")}
            << QStringList{QStringLiteral("\u00e9t\u00e9")}
            << QStringList{QStringLiteral("fin "), QStringLiteral("\u00e9")} << true;
    }
    void stopStrings() {
        QFETCH(QStringList, pieces);
        QFETCH(QStringList, stops);
        QFETCH(QStringList, shown);
        QFETCH(bool, stopped);
        std::vector<std::string> stopList;
        for (const auto& s : stops)
            stopList.push_back(s.toStdString());
        gen::StopStringFilter filter(stopList);
        for (int i = 0; i < pieces.size(); ++i)
            QCOMPARE(QString::fromStdString(filter.push(pieces[i].toStdString())), shown[i]);
        QCOMPARE(filter.stopped(), stopped);
    }

    void heldTextIsReleasedOnFlush() {
        gen::StopStringFilter filter({"END"});
        QCOMPARE(filter.push("the E"), std::string("the "));
        QCOMPARE(filter.push("N"), std::string());
        QCOMPARE(filter.flush(), std::string("EN"));
        QVERIFY(!filter.stopped());
    }
};

QTEST_APPLESS_MAIN(TstTextStream)
#include "tst_text_stream.moc"
