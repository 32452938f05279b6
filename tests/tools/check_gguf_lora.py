#!/usr/bin/env python3
"""Check a GGUF LoRA adapter the way llama.cpp's loader (llama-adapter.cpp) does.

    python3 tests/tools/check_gguf_lora.py ADAPTER.gguf [--base BASE.gguf]

Reads the file with llama.cpp's own `gguf` Python package (gguf-py) when it is installed, else
with the small standard-library reader below (written from the GGUF spec), and checks:
general.type == "adapter", adapter.type == "lora", adapter.lora.alpha is a float32, every tensor
is `<base tensor>.lora_a` / `.lora_b` with both halves present, and rank agreement
(lora_a ne[1] == lora_b ne[0]). With --base (a GGUF of the base model, e.g. from
convert_hf_to_gguf.py) it also checks what llama.cpp checks when the adapter is applied:
the architectures match, every base tensor exists, base ne[0] == lora_a ne[0] and
base ne[1] == lora_b ne[1].

Exit status 0 when every check passes; the problems are printed otherwise.
"""
import argparse
import struct
import sys

VALUE_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
FLOAT32 = 6


class Reader:
    """Just enough of the GGUF spec for headers: metadata (key -> (type, value)) and tensor infos."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.pos = 0
        if self.data[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        self.pos = 4
        self.version = self.read("<I")
        n_tensors, n_kv = self.read("<Q"), self.read("<Q")
        self.metadata = {}
        for _ in range(n_kv):
            key = self.string()
            vtype = self.read("<I")
            self.metadata[key] = (vtype, self.value(vtype))
        self.tensors = {}
        for _ in range(n_tensors):
            name = self.string()
            n_dims = self.read("<I")
            ne = [self.read("<Q") for _ in range(n_dims)]
            ttype, offset = self.read("<I"), self.read("<Q")
            self.tensors[name] = (ne, ttype, offset)

    def read(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("truncated file")
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return v

    def string(self):
        n = self.read("<Q")
        if self.pos + n > len(self.data):
            raise ValueError("truncated string")
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, n = self.read("<I"), self.read("<Q")
            return [self.value(etype) for _ in range(n)]
        return self.read(VALUE_FORMATS[vtype])


def load(path):
    """(metadata {key: (type, value)}, tensors {name: (ne list, type)}) via gguf-py when present."""
    try:
        import gguf  # llama.cpp's gguf-py
    except ImportError:
        r = Reader(path)
        return r.metadata, {k: (v[0], v[1]) for k, v in r.tensors.items()}, "stdlib reader"
    reader = gguf.GGUFReader(path)
    metadata = {}
    for key, field in reader.fields.items():
        vtype = int(field.types[0]) if field.types else -1
        if vtype == 8:
            value = bytes(field.parts[field.data[0]]).decode("utf-8")
        elif vtype == 9:
            value = None
        else:
            value = field.parts[field.data[0]][0].item()
        metadata[key] = (vtype, value)
    tensors = {t.name: ([int(d) for d in t.shape], int(t.tensor_type)) for t in reader.tensors}
    return metadata, tensors, "gguf-py " + getattr(gguf, "__version__", "")


def check(adapter_path, base_path):
    problems = []
    meta, tensors, how = load(adapter_path)
    print(f"{adapter_path}: {len(tensors)} tensors, {len(meta)} metadata keys (read with {how})")

    def expect(key, want):
        got = meta.get(key, (None, None))[1]
        if got != want:
            problems.append(f"{key} is {got!r}, expected {want!r}")

    expect("general.type", "adapter")
    expect("adapter.type", "lora")
    alpha = meta.get("adapter.lora.alpha")
    if alpha is None or alpha[0] != FLOAT32:
        problems.append("adapter.lora.alpha missing or not float32 (llama.cpp reads it with gguf_get_val_f32)")
    pairs = {}
    for name, (ne, _) in tensors.items():
        for suffix in (".lora_a", ".lora_b"):
            if name.endswith(suffix):
                pairs.setdefault(name[: -len(suffix)], {})[suffix] = ne
                break
        else:
            problems.append(f"tensor {name} has an unexpected suffix")
    for base, halves in sorted(pairs.items()):
        if len(halves) != 2:
            problems.append(f"LoRA pair for {base} is missing one component")
            continue
        a, b = halves[".lora_a"], halves[".lora_b"]
        if a[1] != b[0]:
            problems.append(f"{base}: lora_a ne {a} and lora_b ne {b} disagree on the rank")
    if base_path:
        base_meta, base_tensors, _ = load(base_path)
        arch, base_arch = meta.get("general.architecture", (0, None))[1], base_meta.get("general.architecture", (0, None))[1]
        if arch != base_arch:
            problems.append(f"architecture {arch!r} does not match the base's {base_arch!r}")
        for base, halves in sorted(pairs.items()):
            if base not in base_tensors:
                problems.append(f"{base} does not exist in the base model")
                continue
            model_ne = base_tensors[base][0]
            if len(halves) == 2 and (model_ne[0] != halves[".lora_a"][0] or model_ne[1] != halves[".lora_b"][1]):
                problems.append(f"{base}: shape {model_ne} does not fit lora_a {halves['.lora_a']} / lora_b {halves['.lora_b']}")
    for p in problems:
        print("  problem:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter")
    parser.add_argument("--base", help="GGUF of the base model, to check the adapter against it")
    args = parser.parse_args()
    try:
        ok = check(args.adapter, args.base)
    except (OSError, ValueError, KeyError, struct.error) as e:
        print(f"error: {e}")
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
