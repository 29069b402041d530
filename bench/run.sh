#!/usr/bin/env bash
# bench/run.sh SUITE: builds Release when needed, runs one benchmark suite, prints a Markdown
# table, and leaves the raw results at build/bench/SUITE.json.
# Suites: rbac, apikey, quota, storage, server, billing. Each lives in bench/<suite>/ with a suite.sh that
# this script calls with the build folder and the output path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
suites=(rbac apikey quota storage server billing)

usage() {
  echo "usage: bench/run.sh SUITE" >&2
  echo "suites:" >&2
  for s in "${suites[@]}"; do
    if [ -f "bench/$s/suite.sh" ]; then echo "  $s" >&2; else echo "  $s (not built yet)" >&2; fi
  done
  exit 2
}

[ $# -ge 1 ] || usage
suite=$1
shift
case " ${suites[*]} " in *" $suite "*) ;; *) usage ;; esac
[ -f "bench/$suite/suite.sh" ] || { echo "bench/run.sh: suite '$suite' has no bench/$suite/suite.sh yet" >&2; exit 2; }

./scripts/install-deps
cmake --preset release -DTENANTKIT_BUILD_BENCH=ON >/dev/null
cmake --build --preset release -j "$(nproc)"
mkdir -p build/bench
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
exec bash "bench/$suite/suite.sh" "$root/build/release" "$root/build/bench/$suite.json" "$@"
