#!/usr/bin/env python3
"""Where the training thread works alone, from a Chrome trace written by `--profile FILE`.

The profiler records LibTorch operators on every thread that runs them: the training thread
(the one with the most events) and the helper threads of system/parallel_parts.h. A stretch of
the training thread counts as serial when it is not inside a matrix product (those run on
OpenBLAS's pool; what a product calls, such as addmm's copy of the bias, counts) and no helper thread is inside an operator at that moment. Prints the serial
share of the training thread's time and the operators that hold it (self time, serial part
only), with the operators they were called from. Work on a helper thread that calls no LibTorch
operator (the GELU and dropout kernels, direct sgemm_ calls) is invisible to the profiler, so the
figure is an upper bound for the nodes that use them.
Usage: trace_serial_time.py TRACE.json [TOP]
"""
import bisect
import collections
import sys

from trace_self_time import events_by_thread  # same folder

GEMMS = {"aten::mm", "aten::addmm", "aten::addmm_", "aten::bmm", "aten::baddbmm"}


def top_level(events):
    out, end = [], -1.0
    for e in sorted(events, key=lambda e: (e["ts"], -e["dur"])):
        if e["ts"] >= end:
            out.append((e["ts"], e["ts"] + e["dur"]))
            end = e["ts"] + e["dur"]
    return out


def merge(intervals):
    merged = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    by_tid = events_by_thread(path)
    main_tid = max(by_tid, key=lambda t: len(by_tid[t]))
    mine = sorted(by_tid[main_tid], key=lambda e: (e["ts"], -e["dur"]))
    children = collections.defaultdict(list)
    parent = {}
    stack = []
    for i, e in enumerate(mine):
        while stack and mine[stack[-1]]["ts"] + mine[stack[-1]]["dur"] <= e["ts"]:
            stack.pop()
        if stack:
            children[stack[-1]].append(i)
            parent[i] = stack[-1]
        stack.append(i)
    busy = [iv for t, evs in by_tid.items() if t != main_tid for iv in top_level(evs)]
    # A product's own time (the BLAS call) is covered; what it calls (addmm's copy of the bias into
    # the output, on the one intra-op thread) is not.
    for i, e in enumerate(mine):
        if e["name"] in GEMMS:
            start = e["ts"]
            for c in children[i]:
                busy.append((start, mine[c]["ts"]))
                start = mine[c]["ts"] + mine[c]["dur"]
            busy.append((start, e["ts"] + e["dur"]))
    covered = merge(busy)
    ends = [b for _, b in covered]

    def serial(a, b):
        """The part of [a, b) outside every covered interval."""
        inside, i = 0.0, bisect.bisect_left(ends, a)
        while i < len(covered) and covered[i][0] < b:
            inside += max(0.0, min(b, covered[i][1]) - max(a, covered[i][0]))
            i += 1
        return (b - a) - inside

    # Self serial time: an event's serial time minus its direct children's.
    self_serial = collections.Counter()
    for i, e in enumerate(mine):
        s = serial(e["ts"], e["ts"] + e["dur"])
        for c in children[i]:
            s -= serial(mine[c]["ts"], mine[c]["ts"] + mine[c]["dur"])
        where = mine[parent[i]]["name"] if i in parent else "(top level)"
        self_serial[(e["name"], where)] += s
    total = sum(b - a for a, b in top_level(mine))
    alone = sum(serial(a, b) for a, b in top_level(mine))
    print("training thread: %.1f ms in operators, %.1f ms of it serial (%.1f %%)"
          % (total / 1e3, alone / 1e3, 100.0 * alone / max(total, 1e-9)))
    print("%-44s %-44s %9s" % ("operator", "called from", "serial ms"))
    for (name, where), s in self_serial.most_common(top):
        print("%-44s %-44s %9.1f" % (name[-44:], where[-44:], s / 1e3))


if __name__ == "__main__":
    main()
