#!/usr/bin/env bash
# Builds the SCIM filter fuzz target with clang++ (libFuzzer + ASan + UBSan) straight from the
# sources it needs, and runs it for a short time on the seed corpus. Exits non-zero on a crash,
# a sanitizer report or a build failure. New inputs go to a temporary folder, not the repo.
#
#   tests/fuzz/run.sh [SECONDS]     default 20
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
out=build/fuzz
mkdir -p "$out"

# The parser, its evaluator and what they call: no libsodium, no storage.
srcs=(src/scim/filter.cpp src/scim/json_model.cpp src/scim/user_resource.cpp src/scim/error.cpp
      src/scim/patch.cpp src/core/time.cpp src/core/error.cpp tests/fuzz/scim_filter_fuzz.cpp)
cflags=(-std=c++20 -gline-tables-only -O1 -fsanitize=fuzzer-no-link,address,undefined
        -fno-sanitize-recover=undefined -Iinclude)

# One object per source, two at a time; rebuilt when it or a SCIM/core file is newer.
objs=()
pids=()
for src in "${srcs[@]}"; do
  obj="$out/$(tr / _ <<<"${src%.cpp}").o"
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ -n "$(find "$src" include/tenantkit/scim include/tenantkit/core src/scim \
                                   -newer "$obj" -print -quit)" ]; then
    clang++ "${cflags[@]}" -c "$src" -o "$obj" &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then
      wait "${pids[0]}"
      pids=("${pids[@]:1}")
    fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
clang++ -fsanitize=fuzzer,address,undefined "${objs[@]}" -lboost_json -o "$out/scim_filter_fuzz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$out/scim_filter_fuzz" -max_total_time="$secs" -max_len=4500 -timeout=10 -rss_limit_mb=2048 \
  -dict=tests/fuzz/scim_filter.dict -print_final_stats=1 "$work" tests/fuzz/corpus/scim_filter \
  2>&1 | tail -20
echo "scim filter fuzz: ok (${secs}s)"
