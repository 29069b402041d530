#!/usr/bin/env bash
# bench/quota/suite.sh BUILD_DIR OUT_JSON [extra Google Benchmark flags]
# Runs the quota workloads (shared/bench/quota-workload.md) against the in-process engine and a
# private Redis started here, and the raw redis-benchmark ceilings of section 3 on that same
# Redis (W3's and W4's own ceiling right before and right after each of them), and prints the
# median/min/max table plus the W3/W4 ratios to their ceilings. Extra flags go to every
# quota_bench run (it runs three times: W3 and W4 each on its own).
set -euo pipefail
build=$1
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# shellcheck source=/dev/null
. "$root/scripts/lib/services.sh"
tk_services_start redis
trap tk_services_stop EXIT
port=$TK_TEST_REDIS_PORT

# Section 3's minimal script, for the EVALSHA ceilings.
lua="local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if v > tonumber(ARGV[2]) then return 0 end
return 1"
sha=$(redis-cli -p "$port" SCRIPT LOAD "$lua")
ceilings="${out%.json}-ceilings.txt"
: >"$ceilings"
rb() {  # label, args...
  local label=$1
  shift
  local rps
  rps=$(redis-benchmark -h 127.0.0.1 -p "$port" -q -n 200000 "$@" 2>/dev/null |
    tr '\r' '\n' | grep -Eo '[0-9.]+ requests per second' | tail -1 | cut -d' ' -f1)
  echo "$label|${rps:-0}" >>"$ceilings"
  redis-cli -p "$port" FLUSHDB >/dev/null
}
parts=()
part() {  # name, filter: one quota_bench run (extra flags of this script apply to every part)
  local json="${out%.json}-$1.json"
  "$build/bench/quota/quota_bench" "${extra[@]}" --benchmark_filter="$2" \
    --benchmark_out="$json" --benchmark_out_format=json
  parts+=("$json")
  redis-cli -p "$port" FLUSHDB >/dev/null
}
extra=("$@")

# Everything but W3 and W4, then each of those between two runs of its ceiling: a ratio then
# compares figures taken within a minute of each other (this guest's speed drifts by a third
# over the minutes a whole suite takes).
part main '-^W[34]/'
rb "EVALSHA -c 1 (before W3)" -c 1 -r 10000 evalsha "$sha" 1 requests:t__rand_int__ 1 1000000 3600
part w3 '^W3/'
rb "EVALSHA -c 1 (after W3)" -c 1 -r 10000 evalsha "$sha" 1 requests:t__rand_int__ 1 1000000 3600
rb "EVALSHA -c 1 -P 64 (before W4)" -c 1 -P 64 -r 10000 evalsha "$sha" 1 requests:t__rand_int__ 1 1000000 3600
part w4 '^W4/'
rb "EVALSHA -c 1 -P 64 (after W4)" -c 1 -P 64 -r 10000 evalsha "$sha" 1 requests:t__rand_int__ 1 1000000 3600
python3 - "$out" "${parts[@]}" <<'PY'
import json, sys
merged = None
for path in sys.argv[2:]:
    data = json.load(open(path))
    if merged is None:
        merged = data
    else:
        merged["benchmarks"].extend(data.get("benchmarks", []))
json.dump(merged, open(sys.argv[1], "w"), indent=1)
PY

echo
echo "## tenantkit quota engine (decisions/s)"
python3 "$root/bench/tools/gbench_table.py" "$out"

# The other section 3 ceilings, on the same server, in the same run.
rb "INCR -c 1" -t incr -c 1
rb "INCR -c 1 -P 16" -t incr -c 1 -P 16
rb "INCR -c 50" -t incr -c 50
rb "INCR -c 1 -P 64" -t incr -c 1 -P 64
rb "EVALSHA -c 50" -c 50 -r 10000 evalsha "$sha" 1 requests:t__rand_int__ 1 1000000 3600

python3 - "$out" "$ceilings" <<'PY'
import json, statistics, sys
data = json.load(open(sys.argv[1]))
runs = {}
for b in data.get("benchmarks", []):
    if b.get("run_type") == "aggregate" or b.get("error_occurred"):
        continue
    runs.setdefault(b.get("run_name", b["name"]).split("/iterations")[0].split("/repeats")[0].split("/manual_time")[0], []).append(b["items_per_second"])
ceil = dict(line.strip().split("|") for line in open(sys.argv[2]) if "|" in line)
print("\n## redis-benchmark ceilings (same Redis, same run; requests/s)")
print("| command | requests/s |\n|---|---|")
for k, v in ceil.items():
    print(f"| {k} | {float(v):,.0f} |")
def med(name):
    v = runs.get(name)
    return statistics.median(v) if v else None
print("\n## ratios")
for name, c in (("W3", "EVALSHA -c 1"), ("W4", "EVALSHA -c 1 -P 64")):
    m = med(name)
    around = [float(ceil.get(f"{c} ({w} {name})", 0) or 0) for w in ("before", "after")]
    if m and all(around):
        r = statistics.mean(around)
        print(f"- {name} / raw {c} (mean of the runs just before and after it: "
              f"{around[0]:,.0f} and {around[1]:,.0f}): {m:,.0f} / {r:,.0f} = {m / r:.2f}")
    else:
        print(f"- {name} / raw {c}: n/a")
w1, w2 = med("W1"), med("W2")
if w1 and w2:
    print(f"- W2 / W1 (in-process, one shared engine): {w2 / w1:.2f}")
PY
