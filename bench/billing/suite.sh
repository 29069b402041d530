#!/usr/bin/env bash
# bench/billing/suite.sh <release build dir> <output json>: the entitlement-cache hot path.
set -euo pipefail
build=$1
out=$2
"$build/bench/billing/billing_bench" --benchmark_repetitions=3 --benchmark_min_time=0.2 \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 "$(dirname "$0")/../tools/gbench_table.py" "$out"
