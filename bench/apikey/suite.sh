#!/usr/bin/env bash
# bench/apikey/suite.sh BUILD_DIR OUT_JSON: API key verification (cached, uncached, checksum
# rejection). Called by bench/run.sh apikey.
set -euo pipefail
build=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
"$build/bench/apikey/apikey_bench" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
python3 "$here/../tools/gbench_table.py" "$out"
echo
echo "ns per verification (median of runs; CPU time is the fair figure on a loaded machine) and heap allocations per verification:"
python3 - "$out" <<'PY'
import json, statistics, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") == "aggregate":
        continue
    runs.setdefault(b["run_name"], []).append(b)
goals = {"ApiKey/verify_cached": 500, "ApiKey/verify_uncached": 5000}
print("| benchmark | wall ns/op | CPU ns/op | allocs/op | goal |")
print("|---|---|---|---|---|")
for name, bs in runs.items():
    ns = statistics.median(b["real_time"] for b in bs)
    cpu = statistics.median(b["cpu_time"] for b in bs)
    allocs = statistics.median(b.get("allocs_per_op", 0) for b in bs)
    goal = goals.get(name)
    print(f"| {name} | {ns:.0f} | {cpu:.0f} | {allocs:.2f} | {'<= %d ns' % goal if goal else '-'} |")
PY
