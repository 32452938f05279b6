#pragma once
// Training data: read the files users have (JSON Lines, JSON, CSV/TSV, plain text), understand
// their layout (alpaca, sharegpt, OpenAI messages, prompt/completion, plain text), and turn
// them into token ids + labels for causal-LM training. Torch-free, Qt-free. docs/DATA.md has
// the user-facing description of every format and option.
//
// Typical use (trainer):
//   auto tok = Tokenizer::load(modelDir);
//   TokenizedDataset ds = tokenizeDataset(path, *tok, readOptions, tokenizeOptions);
//   DataSplit split = splitTrainValidation(ds.size(), valSize, seed);
//   auto order = shuffledOrder(split.train, seed + epoch);
//   for (auto& rowExamples : packExamples(ds, order, cutoffLen)) -> makeRow(ds, rowExamples, ...)
//
// Labels follow the Hugging Face convention: labels[t] is the target for the logits at t-1
// (the model shifts), -100 means "no loss". labels[0] of every example is -100 (nothing
// predicts it), which is what keeps packed and unpacked losses equal.
#include "ps/chat_template.h"
#include "ps/error.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ps {

class Tokenizer;

// ---- reading -------------------------------------------------------------------------------

enum class DataFormat { Auto, Alpaca, ShareGpt, Messages, PromptCompletion, Text };
// "auto", "alpaca", "sharegpt", "messages", "prompt_completion", "text".
std::string dataFormatName(DataFormat format);
std::optional<DataFormat> dataFormatFromName(const std::string& name);

enum class FileType { Auto, JsonLines, Json, Csv, Tsv, Text };
// "auto", "jsonl", "json", "csv", "tsv", "text".
std::string fileTypeName(FileType type);
std::optional<FileType> fileTypeFromName(const std::string& name);

// Plain-text files: one document per blank-line-separated block, or the whole file.
enum class TextUnit { Block, File };

// Called from the reading thread with the bytes consumed so far and the file size.
using DataProgress = std::function<void(std::uint64_t bytesDone, std::uint64_t bytesTotal)>;

// Thrown when the cancel flag was raised. A ps::Error, so callers that only care about
// "it failed" need no extra catch.
class DataCancelled final : public Error {
public:
    DataCancelled() : Error("cancelled") {}
};

// One skipped (bad) record: describe() is "FILE:LINE: message".
struct DataIssue {
    std::string file;
    std::int64_t line = 0;
    std::string message;
    std::string describe() const;
};

struct ReadOptions {
    FileType fileType = FileType::Auto; // Auto: from the extension (and, for .json, the content)
    DataFormat format = DataFormat::Auto;
    // Column mapping, canonical name -> name in the file, e.g. {"instruction": "question",
    // "output": "answer"}. Canonical names: instruction, input, output, system, history,
    // conversations, messages, role, content, prompt, completion, text. "role"/"content"
    // rename the keys inside conversation turns (default from/value for sharegpt, role/content
    // for messages).
    std::map<std::string, std::string> columns;
    // A JSON file holding an object: the key whose array holds the records. Empty: the only
    // key whose value is an array (several -> error naming them).
    std::string jsonKey;
    TextUnit textUnit = TextUnit::Block;
    bool skipBad = false; // skip bad records (counted; the first maxIssues reasons kept)
    std::size_t maxIssues = 10;
    std::uint64_t maxRecordBytes = 16ull << 20; // one record larger than this is an error
    DataProgress progress;                      // optional
    const std::atomic<bool>* cancel = nullptr;  // optional; checked about every MiB / record
};

// The text form of ReadOptions::columns (the dataset_columns key): "instruction=question,
// output=answer" <-> {{"instruction", "question"}, {"output", "answer"}}. Throws ps::Error
// prefixed with `what` for an entry that is not field=column or a field mapped twice.
std::map<std::string, std::string> parseColumnMapping(const std::string& text, const std::string& what);
std::string columnMappingText(const std::map<std::string, std::string>& columns);

enum class RecordKind { Conversation, PromptCompletion, Text };

// A record normalised to what training needs.
struct DataRecord {
    std::int64_t line = 0; // 1-based line where the record starts
    RecordKind kind = RecordKind::Conversation;
    std::vector<ChatMessage> messages; // Conversation: system?, then user/assistant turns
    std::string prompt;                // PromptCompletion
    std::string completion;
    std::string text; // Text
};

struct DatasetInfo {
    std::string path;
    FileType fileType = FileType::Auto;
    std::string jsonKey; // JSON object files: the key holding the records
    DataFormat format = DataFormat::Auto;
    std::string formatReason;        // "records have instruction/output fields → alpaca"
    std::vector<std::string> fields; // fields of the first record, in file order
    std::uint64_t fileBytes = 0;
    std::int64_t numRecords = 0;   // records seen, bad ones included
    std::int64_t numSkipped = 0;   // bad records skipped (skipBad)
    std::vector<DataIssue> issues; // the first maxIssues skipped records
};

// Streams the records of one file with bounded memory. The constructor detects the file type
// and the format (looking at the first record); next() throws ps::Error "FILE:LINE: ..." for a
// bad record unless skipBad is set. Not thread-safe; one reader per thread.
class DatasetReader final {
public:
    explicit DatasetReader(const std::string& path, ReadOptions options = {});
    ~DatasetReader();
    DatasetReader(const DatasetReader&) = delete;
    DatasetReader& operator=(const DatasetReader&) = delete;

    const DatasetInfo& info() const; // counts grow as records are read
    bool next(DataRecord& record);   // false at the end of the file

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// ---- tokenizing ------------------------------------------------------------------------------

struct TokenizeOptions {
    std::optional<ChatFamily> chatFamily; // nullopt: detected from the tokenizer's chat_template
    int cutoffLen = 1024;                 // longer examples are truncated (and counted)
    bool trainOnPrompt = false;           // true: every token is trained, not only responses
    bool splitLongText = true;            // text records longer than cutoffLen -> several examples
    int threads = 0;                      // tokenizer threads; <= 0: all hardware threads
    std::string cacheDir;                 // empty: no disk cache
};

struct LengthStats {
    std::int64_t min = 0;
    double mean = 0;
    std::int64_t p50 = 0; // nearest-rank percentiles over example lengths (tokens)
    std::int64_t p95 = 0;
    std::int64_t max = 0;
};

struct DatasetStats {
    std::int64_t numRecords = 0;  // records read (bad ones included)
    std::int64_t numSkipped = 0;  // bad records skipped
    std::int64_t numExamples = 0; // tokenized examples (a long text record may give several)
    std::int64_t numTokens = 0;
    std::int64_t numTrainedTokens = 0; // labels != -100
    std::int64_t numTruncated = 0;     // examples cut at cutoffLen
    std::int64_t numDropped = 0;       // examples with no trained token left after truncation
    LengthStats length;
};

// Tokenized examples, immutable and cheap to copy (shared storage: memory, or the memory-mapped
// cache file, so a large dataset does not live in the heap).
class TokenizedDataset final {
public:
    TokenizedDataset();
    std::size_t size() const;
    std::int64_t length(std::size_t example) const;
    std::vector<std::int32_t> inputIds(std::size_t example) const;
    std::vector<std::int32_t> labels(std::size_t example) const; // -100 on untrained tokens

    const DatasetInfo& info() const;
    const DatasetStats& stats() const;
    ChatFamily chatFamily() const;                    // the template used for conversations
    const std::vector<std::string>& warnings() const; // from the chat template, deduplicated
    std::int32_t padId() const;                       // tokenizer pad, else eos, else 0
    bool loadedFromCache() const;
    std::int64_t recordsTokenized() const; // in this call: 0 when loaded from the cache
    const std::string& cachePath() const;  // "" without a cache

    struct Storage;
    explicit TokenizedDataset(std::shared_ptr<const Storage> storage);

private:
    std::shared_ptr<const Storage> s_;
};

// Reads, tokenizes (on options.threads threads, created and joined inside this call) and, with
// a cacheDir, caches. The cache key is (SHA-256 of the file, tokenizer.contentHash(), every
// setting that changes the result); a valid cache file is loaded instead of tokenizing.
// Throws ps::Error for a bad record (without skipBad), DataCancelled when cancelled.
TokenizedDataset tokenizeDataset(const std::string& path, const Tokenizer& tokenizer, const ReadOptions& read = {},
                                 const TokenizeOptions& options = {});

// ---- order, split, packing, batches -------------------------------------------------------------

// Deterministic on every platform: Fisher-Yates driven by std::mt19937_64(seed), each swap
// index drawn by rejection sampling from the raw 64-bit output (std::shuffle and
// std::uniform_int_distribution are implementation-defined, so they are not used).
std::vector<std::size_t> shuffledOrder(std::vector<std::size_t> indices, std::uint64_t seed);

struct DataSplit {
    std::vector<std::size_t> train; // ascending example indices
    std::vector<std::size_t> validation;
};
// valSize 0: no validation; 0 < valSize < 1: that fraction (rounded, at least 1); an integer
// >= 1: that many examples. The validation examples are the first ones of shuffledOrder(0..n-1,
// seed). Throws ps::Error when it leaves no training example or valSize is not valid.
DataSplit splitTrainValidation(std::size_t numExamples, double valSize, std::uint64_t seed);

// Packing: groups whole examples (never split) into rows of at most rowLen tokens. Best fit
// decreasing over windows of 1 024 examples of `order` (each window sorted by length, longest
// first, and each example put in the fullest row that still has room: a nearly full fill), then
// the rows are shuffled by options.seed. Returns the example indices of each row.
// With options.sharePrefixes, examples that begin with the same untrained tokens (a template's
// system prompt) share one copy of them in their row (makeRow(..., sharePrefix = true)), and the
// room a row has left counts the shared copy once.
// When all examples share an opening (commonPromptPrefix), the rows are the same whether a
// micro-batch computes it once ahead of its rows (makeRow's skip) or each row holds it: a row
// holds it once either way, so its room is the same.
struct PackOptions {
    bool sharePrefixes = false;
    std::uint64_t seed = 0;
};
std::vector<std::vector<std::size_t>> packExamples(const TokenizedDataset& data, const std::vector<std::size_t>& order,
                                                   std::int64_t rowLen, const PackOptions& options = {});

// How many leading tokens the examples of one row share (0 for fewer than two examples): the
// longest common prefix of their token ids that ends before each one's last untrained token
// preceding its first trained label, so no trained token and no trained logit is in it (see
// makeRow). Sharing it gives every example the same keys and values it would compute alone.
std::int64_t sharedPrefixLength(const TokenizedDataset& data, const std::vector<std::size_t>& examples);

// How many leading tokens all of `examples` may share (the common part of each one's shareable
// prefix, as for sharedPrefixLength; one example: its whole shareable prefix; none: 0). A
// template's opening (alpaca's 24 tokens, a chat template's system prompt) that every example
// of a data set begins with, which a micro-batch can compute once for all its rows.
std::int64_t commonPromptPrefix(const TokenizedDataset& data, const std::vector<std::size_t>& examples);
// Whether example `idx` may share `prefix` (its shareable prefix begins with these tokens).
bool sharesPromptPrefix(const TokenizedDataset& data, std::size_t idx, const std::vector<std::int32_t>& prefix);

// The tokens makeRow(data, examples, 0, nullopt, sharePrefix, skip) lays out.
std::int64_t rowTokens(const TokenizedDataset& data, const std::vector<std::size_t>& examples, bool sharePrefix,
                       std::int64_t skip = 0);

// Padding: batches of batchSize examples with similar lengths (as transformers'
// group_by_length: mega-batches of 50 batches sorted by length), batch order shuffled by seed.
std::vector<std::vector<std::size_t>> lengthGroupedBatches(const TokenizedDataset& data,
                                                           const std::vector<std::size_t>& order, std::size_t batchSize,
                                                           std::uint64_t seed);

// One model input row: the examples concatenated, then padded to padTo (0: no padding).
// positionIds restart at 0 for each example; segmentIds are 1, 2, ... per example and 0 on
// padding; labels are -100 on padding and on the first token each example puts in the row.
// With sharePrefix, the first example is laid out whole and each later one without its first
// sharedPrefix tokens (sharedPrefixLength), which it reads from the first example instead: its
// tokens keep their own positions (sharedPrefix, sharedPrefix + 1, ...) and attentionBias lets
// it attend to the row's first sharedPrefix tokens.
// With skip > 0, every example leaves out its first `skip` tokens (a prefix all examples of the
// micro-batch share and that the micro-batch computes once, before its rows, as cached keys and
// values): the first example starts at token `skip` with position `skip`, sharedPrefix counts
// only the row's own shared tokens after them, and attentionBias(rows, skip) lets every token see
// the `skip` keys ahead of the row. Each example must be able to share them (sharesPromptPrefix).
struct TrainingRow {
    std::vector<std::int32_t> inputIds;
    std::vector<std::int32_t> labels;
    std::vector<std::int32_t> positionIds;
    std::vector<std::int32_t> segmentIds;
    std::int32_t sharedPrefix = 0;
};
TrainingRow makeRow(const TokenizedDataset& data, const std::vector<std::size_t>& examples, std::int64_t padTo = 0,
                    std::optional<std::int32_t> padId = std::nullopt, bool sharePrefix = false, std::int64_t skip = 0);

// Additive attention bias [rows, 1, T, prefixKeys + T] (row-major) for rows of equal length T,
// over `prefixKeys` keys computed before the rows (makeRow's skip) and the row's own: 0 where
// query i may attend key j (every real query sees the prefixKeys; of the row, j <= i in the same
// non-zero segment, and a segment after the first also sees the row's shared prefix), -inf
// elsewhere; a padding query attends only itself so no softmax row is empty. This is what
// blocks attention across packed examples.
std::vector<float> attentionBias(const std::vector<TrainingRow>& rows, std::int64_t prefixKeys = 0);

} // namespace ps
