#!/usr/bin/env python3
"""Collects the seed corpora of the fuzz targets (tests/fuzz) into OUT/<target>/.

    collect_seeds.py REPO_ROOT OUT

Seeds come from tests/fixtures (small files only: whole files up to 20 KB; the big model
weights are not copied) and from a few hand-written inputs below that cover the formats the
fixtures lack (datasets, run configs, metrics, GGUF). Idempotent: OUT/<target> is rewritten.
"""
import json
import os
import shutil
import struct
import sys

MAX_SEED = 20 * 1024


def put(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def fixture_files(fixtures, pattern_end, max_size=MAX_SEED):
    for root, _, files in sorted(os.walk(fixtures)):
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(pattern_end) and os.path.getsize(p) <= max_size:
                yield os.path.relpath(p, fixtures).replace(os.sep, "_"), p


def gguf(kvs, tensors, alignment=32):
    """A GGUF v3 file: kvs = [(key, type, value)] (type 4 uint32, 6 float32, 7 bool, 8 string),
    tensors = [(name, ne, ggml_type, bytes)]."""
    def s(x):
        b = x.encode("utf-8")
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += s(key) + struct.pack("<I", t)
        out += {4: lambda: struct.pack("<I", v), 6: lambda: struct.pack("<f", v),
                7: lambda: struct.pack("<B", v), 8: lambda: s(v)}[t]()
    offset = 0
    for name, ne, gtype, data in tensors:
        out += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        out += struct.pack("<IQ", gtype, offset)
        offset = (offset + len(data) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    for _, _, _, data in tensors:
        out += data + b"\0" * (-len(data) % alignment)
    return out


def main():
    repo, out = sys.argv[1], sys.argv[2]
    fixtures = os.path.join(repo, "tests", "fixtures")
    targets = ["safetensors", "model_config", "tokenizer_json", "tokenizer_model", "tokenizer_encode", "adapter",
               "data_jsonl", "data_json", "data_csv", "data_tsv", "data_text", "run_config", "metrics", "gguf"]
    for t in targets:
        shutil.rmtree(os.path.join(out, t), ignore_errors=True)

    # safetensors: the small fixture files (adapters), whole.
    for name, p in fixture_files(fixtures, ".safetensors"):
        put(out, "safetensors", name, read(p))

    # config.json of the model fixtures, and a few variants of the supported families.
    for name, p in fixture_files(os.path.join(fixtures, "models"), "config.json"):
        if not name.endswith("generation_config.json"):
            put(out, "model_config", name, read(p))
    llama = json.loads(read(os.path.join(fixtures, "models", "tiny-llama", "config.json")))
    for mt, extra in [("qwen2", {"use_sliding_window": True, "sliding_window": 4, "max_window_layers": 1}),
                      ("phi3", {"partial_rotary_factor": 0.5}), ("gemma", {"head_dim": 32}),
                      ("llama", {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                  "high_freq_factor": 4.0,
                                                  "original_max_position_embeddings": 64}})]:
        put(out, "model_config", mt + "-variant.json", json.dumps(dict(llama, model_type=mt, **extra)))

    # tokenizer.json: the fixtures up to 128 KB (GPT-2's 1.3 MB one would slow every run down)
    # and two small hand-written ones that use many component types.
    for name, p in fixture_files(os.path.join(fixtures, "tokenizers"), "tokenizer.json", 128 * 1024):
        put(out, "tokenizer_json", name, read(p))
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5, "\u2581": 6, "\u2581a": 7, "<0x41>": 8}
    small_spm = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 1, "content": "<s>", "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                           {"type": "Replace", "pattern": {"String": " "},
                                                            "content": "\u2581"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                                {"type": "Punctuation", "behavior": "Isolated"}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"},
                                                      "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
                                                     {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "vocab": vocab,
                  "merges": ["a b", "\u2581 a"]}}
    put(out, "tokenizer_json", "small-spm-style.json", json.dumps(small_spm, ensure_ascii=False))
    small_bl = {"version": "1.0", "added_tokens": [], "normalizer": None,
                "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                  "use_regex": True},
                "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                                   "use_regex": True},
                "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
                "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False,
                          "byte_fallback": False, "vocab": {"a": 0, "b": 1, "\u0120": 2, "ab": 3, "\u0120a": 4},
                          "merges": [["a", "b"], ["\u0120", "a"]]}}
    put(out, "tokenizer_json", "small-byte-level.json", json.dumps(small_bl, ensure_ascii=False))

    put(out, "tokenizer_model", "llama2-spm.model",
        read(os.path.join(fixtures, "tokenizers", "llama2-spm", "tokenizer.model")))

    # Texts to encode: the first cases of every tokenizer fixture.
    for tok in sorted(os.listdir(os.path.join(fixtures, "tokenizers"))):
        p = os.path.join(fixtures, "tokenizers", tok, "cases.jsonl")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if i >= 25:
                        break
                    put(out, "tokenizer_encode", "%s-%02d.txt" % (tok, i), json.loads(line)["text"])

    # Adapters: adapter_config.json + "\n--safetensors--\n" + adapter_model.safetensors.
    adapters = os.path.join(fixtures, "adapters")
    for a in sorted(os.listdir(adapters)):
        weights = os.path.join(adapters, a, "adapter_model.safetensors")
        if os.path.getsize(weights) <= MAX_SEED:
            put(out, "adapter", a, read(os.path.join(adapters, a, "adapter_config.json")) +
                b"\n--safetensors--\n" + read(weights))

    # Datasets: one small file per format and file type, plus the head of the demo data.
    alpaca = [{"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
              {"instruction": "Say hi.", "output": "Hi!", "system": "Be brief.", "history": [["q", "a"]]}]
    sharegpt = [{"conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "Hi"},
                                   {"from": "gpt", "value": "Hello"}]}]
    messages = [{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}]
    pc = [{"prompt": "The sky is", "completion": " blue."}]
    text = [{"text": "A plain document.\nTwo lines."}]
    for name, records in [("alpaca", alpaca), ("sharegpt", sharegpt), ("messages", messages),
                          ("prompt_completion", pc), ("text", text)]:
        put(out, "data_jsonl", name + ".jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        put(out, "data_json", name + ".json", json.dumps(records, indent=1, ensure_ascii=False))
    put(out, "data_json", "object-key.json", json.dumps({"meta": 1, "train": alpaca}))
    with open(os.path.join(repo, "resources", "demo", "instructions.jsonl"), encoding="utf-8") as f:
        put(out, "data_jsonl", "demo-head.jsonl", "".join(f.readline() for _ in range(6)))
    put(out, "data_csv", "alpaca.csv", 'instruction,input,output\n"Add, please","2 and 3",5\n'
                                       '"Quote ""this""","","multi\nline"\n')
    put(out, "data_csv", "pc.csv", "\ufeffprompt,completion\r\nThe sky is, blue.\r\n")
    put(out, "data_csv", "text.csv", "text\nfirst document\nsecond document\n")
    put(out, "data_tsv", "alpaca.tsv", "instruction\tinput\toutput\nAdd\t2 and 3\t5\nSay hi\t\tHi!\n")
    put(out, "data_tsv", "text.tsv", "text\n\"quoted\ttab\"\n")
    put(out, "data_text", "blocks.txt", "First block\nstill first.\n\nSecond block.\n\n\n\nThird.\n")
    put(out, "data_text", "crlf.txt", "\ufeffone\r\n\r\ntwo\r\n")

    # Run configs: the README example and one with most keys.
    put(out, "run_config", "readme.yaml", """# my-run.yaml
model_name_or_path: HuggingFaceTB/SmolLM2-135M-Instruct   # or /path/to/model-folder
dataset: my-data.jsonl
finetuning_type: lora
lora_rank: 16
learning_rate: 2.0e-4
num_train_epochs: 2
cutoff_len: 1024
packing: true
val_size: 0.05
""")
    put(out, "run_config", "many-keys.yaml", """model_name_or_path: /models/tiny
dataset: "data/train.jsonl"
finetuning_type: dora
lora_rank: 8
lora_alpha: 16.0
lora_dropout: 0.05
lora_target: q_proj,v_proj
learning_rate: 1.0e-05
lr_scheduler_type: cosine
warmup_ratio: 0.1
weight_decay: 0.01
max_grad_norm: 1.0
max_steps: 100
per_device_train_batch_size: 2
gradient_accumulation_steps: 4
seed: 42
bf16: false
fp16: ~
logging_steps: 5
save_steps: 50
eval_steps:
val_size: 10
""")
    put(out, "run_config", "empty.yaml", "")

    # metrics.jsonl: train and eval lines, non-finite values, a torn final line.
    train = {"type": "train", "step": 1, "total_steps": 4, "epoch": 0.25, "loss": 2.5, "lr": 1e-4,
             "grad_norm": 1.5, "tokens_per_sec": 900.0, "tokens_seen": 512, "elapsed_sec": 0.6,
             "eta_sec": 1.8, "rss_bytes": 1 << 28, "peak_rss_bytes": 1 << 29, "timestamp_ms": 1700000000000}
    lines = [dict(train), dict(train, step=2, loss="nan", grad_norm="inf"),
             {"type": "eval", "step": 2, "total_steps": 4, "epoch": 0.5, "eval_loss": 2.1},
             dict(train, step=3, loss="-inf", cuda_allocated_bytes=1 << 20, cuda_reserved_bytes=1 << 21,
                  cuda_peak_bytes=1 << 22)]
    body = "".join(json.dumps(l) + "\n" for l in lines)
    put(out, "metrics", "run.jsonl", body)
    put(out, "metrics", "torn.jsonl", body + '{"type":"train","step":4,"lo')

    # GGUF: first byte 0 = parse mode (a file follows), 1 = writer mode (FuzzedDataProvider bytes).
    f32 = struct.pack("<6f", 1, -2, 0.5, 3, 4, 5)
    lora = gguf([("general.architecture", 8, "llama"), ("general.type", 8, "adapter"),
                 ("adapter.type", 8, "lora"), ("adapter.lora.alpha", 6, 16.0), ("general.alignment", 4, 32),
                 ("tokenizer.ggml.add_bos_token", 7, 1)],
                [("blk.0.attn_q.weight.lora_a", [3, 2], 0, f32),
                 ("blk.0.attn_q.weight.lora_b", [2, 3], 1, struct.pack("<6e", 1, 2, 3, 4, 5, 6))])
    put(out, "gguf", "parse-lora.gguf", b"\0" + lora)
    put(out, "gguf", "parse-empty.gguf", b"\0" + gguf([], []))
    put(out, "gguf", "parse-bf16.gguf", b"\0" + gguf([("k", 8, "v")], [("t", [2], 30, b"\x80\x3f\x00\x40")]))
    put(out, "gguf", "write-a.bin", b"\1" + bytes(range(1, 200)))
    put(out, "gguf", "write-b.bin", b"\1\3\0key\0\1\2\3\4\5\6\7\x08\x09" * 8)
    print("seeds written to", out)


if __name__ == "__main__":
    main()
