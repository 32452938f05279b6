#!/usr/bin/env python3
"""Reference numbers for `peft-studio-cli bench`: the same training step with transformers + peft.

Random-initialised model of the preset shape (gpt2-124m = GPT-2 small, llama-135m = SmolLM-135M's
shape), LoRA r=16 alpha=32 on all linear layers (peft's "all-linear"), random tokens, AdamW lr 1e-4,
loss = mean cross-entropy over every position (labels = input ids), one warm-up step, then the mean
of --steps steps. Prints one line in the same form as the CLI. Not part of the build or the tests:
run by hand (or by scripts/gpu/run_gpu_checks.sh on a GPU machine) where transformers and peft exist.
--runs PRESET:DTYPE:BATCH:SEQ:STEPS[,...] measures several shapes in one process (one import of
transformers instead of one per shape). Written for transformers 4.36 and 5.x (no version-specific
arguments; attention is each version's default, sdpa on CUDA).
"""
import argparse
import resource
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM


def make_model(preset):
    if preset == "gpt2-124m":
        return GPT2LMHeadModel(GPT2Config(n_embd=768, n_layer=12, n_head=12, vocab_size=50257, n_positions=1024))
    if preset == "llama-135m":
        cfg = LlamaConfig(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                          num_key_value_heads=3, vocab_size=49152, max_position_embeddings=2048,
                          tie_word_embeddings=True, rms_norm_eps=1e-5)
        return LlamaForCausalLM(cfg)
    raise SystemExit(f"unknown preset {preset}")


def bench(preset, rank, batch, seq, steps, dtype, device):
    torch.manual_seed(0)
    dev = torch.device(device)
    model = make_model(preset)
    if dtype == "bf16":
        model = model.to(torch.bfloat16)
    model = model.to(dev)
    model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear",
                                             lora_dropout=0.0))
    # peft creates the adapter in the base's dtype; keep trainable weights float32 as we do.
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=(dtype == "bf16")):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    last = first
    for _ in range(steps):
        last = step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    sec = (time.perf_counter() - t0) / steps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    extra = ""
    if dev.type == "cuda":
        extra = (f", CUDA peak allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB "
                 f"(reserved {torch.cuda.memory_reserved() / 2**20:.0f} MiB)")
    print(f"reference transformers+peft preset={preset} rank={rank} batch={batch}x{seq} dtype={dtype} "
          f"device={dev.type}: {batch * seq / sec:.1f} tokens/s, {sec:.3f} sec/step, peak RSS {rss:.0f} MiB{extra}, "
          f"loss {first:.5f} -> {last:.5f}", flush=True)
    del model, opt
    if dev.type == "cuda":
        torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="gpt2-124m")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--runs", default="", help="PRESET:DTYPE:BATCH:SEQ:STEPS[,...] (overrides the single-run flags)")
    a = ap.parse_args()
    if a.runs:
        for spec in a.runs.split(","):
            preset, dtype, batch, seq, steps = spec.split(":")
            bench(preset, a.rank, int(batch), int(seq), int(steps), dtype, a.device)
    else:
        bench(a.preset, a.rank, a.batch, a.seq, a.steps, a.dtype, a.device)


if __name__ == "__main__":
    main()
