#!/usr/bin/env python3
"""Prints a Markdown table (median/min/max per benchmark) from Google Benchmark JSON.

usage: gbench_table.py RESULTS.json [metric]   metric: items_per_second (default) or real_time
"""
import json
import statistics
import sys
from collections import OrderedDict


def main() -> int:
    path = sys.argv[1]
    metric = sys.argv[2] if len(sys.argv) > 2 else "items_per_second"
    with open(path) as f:
        data = json.load(f)
    runs = OrderedDict()
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        if "error_occurred" in b and b["error_occurred"]:
            runs.setdefault(b.get("run_name", b["name"]), []).append(None)
            continue
        value = b.get(metric)
        if value is None and metric == "real_time":
            value = b.get("real_time")
        runs.setdefault(b.get("run_name", b["name"]), []).append(
            (value, b.get("time_unit", "ns")))
    unit = "items/s" if metric == "items_per_second" else None
    print(f"| benchmark | runs | median | min | max |")
    print("|---|---|---|---|---|")
    for name, values in runs.items():
        good = [v for v in values if v is not None]
        if not good:
            print(f"| {name} | {len(values)} | ERROR | | |")
            continue
        nums = [v[0] for v in good]
        u = unit or good[0][1]
        fmt = (lambda x: f"{x:,.0f}") if metric == "items_per_second" else (lambda x: f"{x:,.1f}")
        print(f"| {name} | {len(nums)} | {fmt(statistics.median(nums))} {u} | {fmt(min(nums))} | "
              f"{fmt(max(nums))} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
