#include "data/tokenize_example.h"

#include "data/record_source.h"
#include "ps/tokenizer.h"

namespace ps::data {
namespace {

void push(std::vector<std::uint32_t>& out, std::int32_t id, bool trained) {
    out.push_back(static_cast<std::uint32_t>(id) | (trained ? kTrainedBit : 0u));
}

void append(std::vector<std::uint32_t>& out, const std::vector<std::int32_t>& ids, bool trained) {
    for (std::int32_t id : ids)
        push(out, id, trained);
}

bool hasTrainedToken(const std::vector<std::uint32_t>& ex) {
    // Position 0 is never a target (nothing before it predicts it).
    for (std::size_t i = 1; i < ex.size(); ++i)
        if (tokenTrained(ex[i]))
            return true;
    return false;
}

// Finishes one example: label 0 untrained, truncation, dropping examples with nothing to learn.
void finish(std::vector<std::uint32_t> ex, std::int64_t cutoff, TokenizedRecord& out) {
    if (!ex.empty())
        ex[0] &= ~kTrainedBit;
    if (cutoff > 0 && static_cast<std::int64_t>(ex.size()) > cutoff) {
        ex.resize(static_cast<std::size_t>(cutoff));
        ++out.truncated;
    }
    if (!hasTrainedToken(ex)) {
        ++out.dropped;
        return;
    }
    out.examples.push_back(std::move(ex));
}

void conversation(const DataRecord& rec, const Tokenizer& tok, const ExampleSettings& s, TokenizedRecord& out) {
    RenderedChat rc;
    try {
        rc = renderChat(tok, rec.messages, s.family, false);
    } catch (const Error& e) {
        throw RecordError(e.what());
    }
    if (rc.ids.size() != rc.assistantMask.size())
        throw RecordError("chat template: " + std::to_string(rc.ids.size()) + " ids but " +
                          std::to_string(rc.assistantMask.size()) + " mask entries");
    out.warnings = std::move(rc.warnings);
    std::vector<std::uint32_t> ex;
    ex.reserve(rc.ids.size() + 1);
    for (std::size_t i = 0; i < rc.ids.size(); ++i)
        push(ex, rc.ids[i], s.trainOnPrompt || rc.assistantMask[i] != 0);
    // The last assistant turn must end in a token that stops generation. When the template's
    // end-of-turn marker is not a special token of this vocabulary (e.g. ChatML on GPT-2's
    // tokenizer, where "<|im_end|>" is plain text), append EOS as a trained label.
    std::size_t end = rc.assistantMask.size();
    while (end > 0 && !rc.assistantMask[end - 1])
        --end;
    std::size_t begin = end;
    while (begin > 0 && rc.assistantMask[begin - 1])
        --begin;
    bool stops = false;
    for (std::size_t i = begin; i < end; ++i)
        stops = stops || tok.isSpecial(rc.ids[i]) || (tok.eosId() && rc.ids[i] == *tok.eosId());
    if (!stops && tok.eosId()) {
        // A template that already closes the text with EOS (phi3) gets that EOS trained.
        if (!ex.empty() && tokenId(ex.back()) == *tok.eosId())
            ex.back() |= kTrainedBit;
        else
            push(ex, *tok.eosId(), true);
    }
    finish(std::move(ex), s.cutoffLen, out);
}

void promptCompletion(const DataRecord& rec, const Tokenizer& tok, const ExampleSettings& s, TokenizedRecord& out) {
    std::vector<std::uint32_t> ex;
    if (tok.addBosToken() && tok.bosId())
        push(ex, *tok.bosId(), s.trainOnPrompt);
    append(ex, tok.encode(rec.prompt), s.trainOnPrompt);
    append(ex, tok.encode(rec.completion), true);
    if (tok.eosId())
        push(ex, *tok.eosId(), true);
    finish(std::move(ex), s.cutoffLen, out);
}

void text(const DataRecord& rec, const Tokenizer& tok, const ExampleSettings& s, TokenizedRecord& out) {
    std::vector<std::uint32_t> all;
    if (tok.addBosToken() && tok.bosId())
        push(all, *tok.bosId(), true);
    append(all, tok.encode(rec.text), true);
    if (tok.eosId())
        push(all, *tok.eosId(), true);
    const auto cutoff = static_cast<std::size_t>(s.cutoffLen);
    if (!s.splitLongText || cutoff == 0 || all.size() <= cutoff) {
        finish(std::move(all), s.cutoffLen, out);
        return;
    }
    // Pre-training style: a long document becomes consecutive cutoffLen-token examples.
    for (std::size_t at = 0; at < all.size(); at += cutoff) {
        const std::size_t n = std::min(cutoff, all.size() - at);
        finish(std::vector<std::uint32_t>(all.begin() + static_cast<std::ptrdiff_t>(at),
                                          all.begin() + static_cast<std::ptrdiff_t>(at + n)),
               s.cutoffLen, out);
    }
}

} // namespace

TokenizedRecord tokenizeRecord(const DataRecord& record, const Tokenizer& tokenizer, const ExampleSettings& settings) {
    TokenizedRecord out;
    switch (record.kind) {
    case RecordKind::Conversation:
        conversation(record, tokenizer, settings, out);
        break;
    case RecordKind::PromptCompletion:
        promptCompletion(record, tokenizer, settings, out);
        break;
    case RecordKind::Text:
        text(record, tokenizer, settings, out);
        break;
    }
    return out;
}

} // namespace ps::data
