#!/usr/bin/env python3
"""CUDA path check (GPU machine only): `peft-studio-cli forward --device cuda` on every model and
adapter fixture must reproduce the logits that transformers + peft wrote into the fixture's
reference.safetensors. Prints one line per fixture and the worst max-abs difference.
Usage: check_cuda_forward.py CLI FIXTURES_DIR OUT_DIR"""
import json
import subprocess
import sys

import torch
from safetensors.torch import load_file

cli, fixtures, out = sys.argv[1], sys.argv[2], sys.argv[3]
manifest = json.load(open(f"{fixtures}/manifest.json"))
worst = 0.0
failed = 0
for entry in manifest["models"] + manifest.get("adapters", []):
    name = entry["name"]
    if entry["kind"] == "model":
        model, adapter = f"{fixtures}/models/{name}", None
        ref = load_file(f"{model}/reference.safetensors")
    else:
        model, adapter = f"{fixtures}/models/{entry['base']}", f"{fixtures}/adapters/{name}"
        ref = load_file(f"{adapter}/reference.safetensors")
    ids = ";".join(",".join(str(int(v)) for v in row) for row in ref["input_ids"].tolist())
    for device in ("cuda", "cpu"):
        cmd = [cli, "forward", "--model", model, "--ids", ids, "--out", f"{out}/{name}-{device}.safetensors",
               "--device", device]
        if adapter:
            cmd += ["--adapter", adapter]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name:24s} {device}: FAILED {r.stderr.strip()[:300]}")
            failed += 1
            continue
        got = load_file(f"{out}/{name}-{device}.safetensors")["logits"]
        diff = (got.double() - ref["logits"].double()).abs().max().item()
        worst = max(worst, diff)
        print(f"{name:24s} {device}: max |logits - transformers| = {diff:.3e}")
print(f"worst {worst:.3e}, failures {failed}")
sys.exit(1 if failed or worst > 1e-3 else 0)
