#!/usr/bin/env python3
"""Self time per operator from a Chrome trace written by `peft-studio-cli bench --profile FILE`.

Self time = an event's duration minus its directly nested events' (same thread). Prints the
operators that take the most self time, their call counts, and the share of the step.
Usage: trace_self_time.py TRACE.json [TOP]
"""
import collections
import json
import sys


def events_by_thread(path):
    """The trace's complete ("X") events, grouped by thread id."""
    by_tid = collections.defaultdict(list)
    for e in json.load(open(path)):
        if e.get("ph") == "X":
            by_tid[e.get("tid")].append(e)
    return by_tid


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    by_tid = events_by_thread(path)
    self_time = collections.Counter()
    calls = collections.Counter()
    total = 0.0
    for evs in by_tid.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [event, children time]
        def close(entry):
            ev, child = entry
            self_time[ev["name"]] += ev["dur"] - child
            calls[ev["name"]] += 1
            if stack:
                stack[-1][1] += ev["dur"]
        for e in evs:
            while stack and stack[-1][0]["ts"] + stack[-1][0]["dur"] <= e["ts"]:
                close(stack.pop())
            if not stack:
                total += e["dur"]
            stack.append([e, 0.0])
        while stack:
            close(stack.pop())
    print(f"{'operator':48s} {'self ms':>9s} {'share':>6s} {'calls':>6s}")
    for name, t in self_time.most_common(top):
        print(f"{name[:48]:48s} {t/1000:9.1f} {100*t/total:5.1f}% {calls[name]:6d}")
    print(f"{'(top-level events total)':48s} {total/1000:9.1f}")


if __name__ == "__main__":
    main()
