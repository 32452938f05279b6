#!/usr/bin/env python3
"""Device parity: prints the per-step training loss and grad norm of several runs of the same
config (scripts/gpu/parity.yaml) side by side, and the largest difference from the first run.
Usage: compare_losses.py LABEL=RUN_FOLDER [LABEL=RUN_FOLDER ...]   (RUN_FOLDER holds metrics.jsonl)"""
import glob
import json
import sys

runs = []
for arg in sys.argv[1:]:
    label, folder = arg.split("=", 1)
    files = glob.glob(f"{folder}/metrics.jsonl") or glob.glob(f"{folder}/*/metrics.jsonl")
    if not files:
        print(f"{label}: no metrics.jsonl under {folder}")
        sys.exit(1)
    steps = {}
    for line in open(files[0]):
        m = json.loads(line)
        if m.get("type") == "train" and "loss" in m:
            steps[m["step"]] = (m["loss"], m.get("grad_norm", float("nan")))
    runs.append((label, steps))
common = sorted(set.intersection(*(set(s) for _, s in runs)))
print("step " + "".join(f"{label:>26s}" for label, _ in runs))
worst = {label: 0.0 for label, _ in runs}
for step in common:
    ref = runs[0][1][step][0]
    cells = []
    for label, s in runs:
        loss, gnorm = s[step]
        worst[label] = max(worst[label], abs(loss - ref))
        cells.append(f"{loss:12.6f} |g| {gnorm:9.5f}")
    print(f"{step:4d} " + "".join(f"{c:>26s}" for c in cells))
print("max |loss - " + runs[0][0] + "|: " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
