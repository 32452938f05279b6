#!/usr/bin/env python3
"""Writes a deterministic alpaca-format instruction dataset with mixed lengths for the
trained-tokens/s comparison (benchmarks/RESULTS.md, "Instruction data").

Lengths follow the shape of Stanford Alpaca's: short instructions (8-40 words), an input on a
third of the examples (5-60 words), and outputs from one line to a few paragraphs (log-normal,
median ~60 words, capped at 300). The words come from the project's own demo corpus, so the
file is ours to ship and the same on every machine.
Usage: make_instruction_data.py CORPUS.txt OUT.jsonl [N=2000] [SEED=1]
"""
import json
import math
import random
import sys


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    words = open(corpus, encoding="utf-8").read().split()

    def text(count):
        start = rng.randrange(0, len(words) - count - 1)
        return " ".join(words[start:start + count])

    with open(out, "w", encoding="utf-8") as f:
        for _ in range(n):
            instruction = text(rng.randint(8, 40))
            inp = text(rng.randint(5, 60)) if rng.random() < 1 / 3 else ""
            output = text(max(3, min(300, int(math.exp(rng.gauss(math.log(60), 0.8))))))
            f.write(json.dumps({"instruction": instruction, "input": inp, "output": output}) + "\n")


if __name__ == "__main__":
    main()
