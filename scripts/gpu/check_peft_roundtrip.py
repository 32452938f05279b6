#!/usr/bin/env python3
"""Real-library round trip (run where transformers + peft are installed, e.g. the GPU machine):
an adapter that PEFT Studio trained and exported (`export --format peft`) is loaded by
transformers.AutoModelForCausalLM + peft.PeftModel.from_pretrained, and its logits must equal
`peft-studio-cli forward --adapter` on the same ids (float32, CPU, max abs difference <= 1e-3).
Usage: check_peft_roundtrip.py CLI MODEL_DIR ADAPTER_DIR WORK_DIR"""
import subprocess
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

cli, model_dir, adapter_dir, work = sys.argv[1:5]
torch.manual_seed(0)
ids = torch.randint(0, 50000, (2, 12))
ids_text = ";".join(",".join(str(int(v)) for v in row) for row in ids.tolist())
out = f"{work}/ours.safetensors"
subprocess.run([cli, "forward", "--model", model_dir, "--adapter", adapter_dir, "--ids", ids_text, "--out", out,
                "--device", "cpu"], check=True)
ours = load_file(out)["logits"].double()
base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
model = PeftModel.from_pretrained(base, adapter_dir)
model.eval()
with torch.no_grad():
    ref = model(input_ids=ids).logits.double()
base_only = None
with torch.no_grad(), model.disable_adapter():
    base_only = model(input_ids=ids).logits.double()
diff = (ours - ref).abs().max().item()
effect = (ref - base_only).abs().max().item()
print(f"peft round trip {adapter_dir}: max |ours - transformers+peft| = {diff:.3e} "
      f"(the adapter moves logits by up to {effect:.3e})")
sys.exit(0 if diff <= 1e-3 and effect > 10 * diff else 1)
