#!/usr/bin/env bash
# bench/storage/suite.sh BUILD_DIR OUT_JSON: starts a private PostgreSQL, runs storage_bench
# (Ingest, ApiKeyByPrefix, MembershipGet on PostgreSQL and SQLite), prints Markdown tables.
set -euo pipefail
build=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/services.sh
. "$root/scripts/lib/services.sh"
trap tk_services_stop EXIT
tk_services_start postgres
"$build/bench/storage/storage_bench" --benchmark_out="$out" --benchmark_out_format=json \
  --benchmark_repetitions="${TK_BENCH_REPETITIONS:-1}" "$@"
echo
echo "Throughput (Ingest = usage events/s, 5% duplicates, counted exactly once):"
python3 "$root/bench/tools/gbench_table.py" "$out"
echo
echo "Lookup latency:"
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
print("| benchmark | p50 (us) | p99 (us) |")
print("|---|---|---|")
for b in data.get("benchmarks", []):
    if "p50_us" in b:
        print(f"| {b['name']} | {b['p50_us']:.0f} | {b['p99_us']:.0f} |")
PY
