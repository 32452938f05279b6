#!/usr/bin/env python3
"""Reference numbers for `peft-studio-cli bench`: the same training step with transformers + peft.

Random-initialised model of the preset shape (gpt2-124m = GPT-2 small, llama-135m = SmolLM-135M's
shape), LoRA r=16 alpha=32 on all linear layers (peft's "all-linear"), random tokens, AdamW lr 1e-4,
loss = mean cross-entropy over every position (labels = input ids), one warm-up step, then the mean
of --steps steps. Prints one line in the same form as the CLI. Not part of the build or the tests:
run by hand (or by scripts/gpu/run_gpu_checks.sh on a GPU machine) where transformers and peft exist.
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
                          tie_word_embeddings=True, rms_norm_eps=1e-5, rope_theta=10000.0)
        return LlamaForCausalLM(cfg)
    raise SystemExit(f"unknown preset {preset}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="gpt2-124m")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = make_model(a.preset)
    if a.dtype == "bf16":
        model = model.to(torch.bfloat16)
    model = model.to(dev)
    model = get_peft_model(model, LoraConfig(r=a.rank, lora_alpha=2 * a.rank, target_modules="all-linear",
                                             lora_dropout=0.0))
    # peft creates the adapter in the base's dtype; keep trainable weights float32 as we do.
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, model.config.vocab_size, (a.batch, a.seq), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=(a.dtype == "bf16")):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        return loss.item()

    step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    sec = (time.perf_counter() - t0) / a.steps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    extra = ""
    if dev.type == "cuda":
        extra = f", CUDA peak allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB"
    print(f"reference transformers+peft preset={a.preset} rank={a.rank} batch={a.batch}x{a.seq} dtype={a.dtype} "
          f"device={dev.type}: {a.batch * a.seq / sec:.1f} tokens/s, {sec:.3f} sec/step, peak RSS {rss:.0f} MiB{extra}")


if __name__ == "__main__":
    main()
