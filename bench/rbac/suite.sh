#!/usr/bin/env bash
# bench/rbac/suite.sh BUILD_DIR OUT_JSON: runs workload R1 (/work/shared/bench/rbac-workload.md,
# mirrored in docs/rbac.md) on a Release build, writes Google Benchmark JSON, and prints a
# Markdown table of ns/check beside the peer figures of the workload page.
# Called by bench/run.sh; extra arguments go to the benchmark binary.
set -euo pipefail
build=${1:?usage: suite.sh BUILD_DIR OUT_JSON}
out=${2:?usage: suite.sh BUILD_DIR OUT_JSON}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/bench/rbac/rbac_bench"
[ -x "$bin" ] || { echo "suite.sh: $bin not built (configure with -DTENANTKIT_BUILD_BENCH=ON)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"

# Three repetitions, like the peer figures (median of 3). The binary prints the memory line first:
# VmRSS before/after building the policy, in a fresh process.
"$bin" --benchmark_repetitions=3 --benchmark_min_time=0.5 \
  --benchmark_out="$out" --benchmark_out_format=json "$@" | grep -E '^R1/memory' || true

echo
python3 "$here/../tools/gbench_table.py" "$out"
echo
python3 - "$out" <<'PY'
import json, statistics, sys
data = json.load(open(sys.argv[1]))
runs = {}
for b in data["benchmarks"]:
    if b.get("run_type") == "aggregate" or b.get("error_occurred"):
        continue
    name = b["run_name"].split("/iterations")[0].split("/real_time")[0]
    scale = {"ns": 1, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
    runs.setdefault(name, []).append(b["real_time"] * scale)
    runs.setdefault(name + "#cpu", []).append(b["cpu_time"] * scale)
    if name == "R1/contended":
        runs.setdefault("contended_items", []).append(b["items_per_second"])
def med(name):
    return statistics.median(runs[name]) if name in runs else None
def ns(name):
    v, c = med(name), med(name + "#cpu")
    return "ERROR" if v is None else f"{v:,.1f} ns ({c:,.1f} ns CPU)"
mem_kb = data.get("context", {}).get("r1_memory_added_kb")
build = med("R1/build")
rows = [
    ("allowed, mid-policy", ns("R1/allowed"), "29.9 ms", "19.4 ms", "47 ns"),
    ("denied", ns("R1/denied"), "59.3 ms", "39.3 ms", "46 ns"),
    ("random mix", ns("R1/random"), "52.7 ms", "36.2 ms", "171 ns"),
    ("policy load", "ERROR" if build is None else
     f"{build / 1e6:,.1f} ms ({med('R1/build#cpu') / 1e6:,.1f} ms CPU)", "60.7 ms", "1,086 ms", "10.6 ms"),
    ("memory added", "n/a" if mem_kb is None else f"+{int(mem_kb) / 1024:.2f} MB", "+11.8 MB", "+35.3 MB", "+1.6 MB"),
]
print("| R1 (median of 3; wall time, CPU time in brackets) | tenantkit | casbin-cpp v1.67.0 | node-casbin 5.51.1 | naive bitmask |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
c = statistics.median(runs["contended_items"]) if "contended_items" in runs else None
if c:
    print(f"\nR1/contended (2 reader threads, a writer changing a role every ms): "
          f"{c / 1e6:,.2f} M checks/s in total")
print(f"\nmachine load while measuring: {open('/proc/loadavg').read().split()[0:3]}")
PY
