#!/usr/bin/env bash
# bench/server/suite.sh BUILD_DIR OUT_JSON
# Server load benchmark (issue #10): seeds an SQLite database (1,000 orgs with an enterprise
# subscription, 10,000 API keys), starts tenantkit-server on it, runs wrk (2 threads, 64
# connections) against GET /v1/data rotating through 1,000 keys, then the same wrk command against
# a private nginx answering `return 200`, and prints rps, p50 and p99 of both and the ratios.
# The JSON summary goes to OUT_JSON. Fails (exit 1) if any answer is not 2xx.
#
#   BENCH_SERVER_PATH=/v1/data   path to load (e.g. /health to check the machinery)
#   BENCH_SERVER_DURATION=20     seconds of each measured wrk run (a 3 s warm-up precedes it)
#   BENCH_SERVER_ORGS=1000 BENCH_SERVER_KEYS_PER_ORG=10
set -euo pipefail
build=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

path=${BENCH_SERVER_PATH:-/v1/data}
duration=${BENCH_SERVER_DURATION:-20}
orgs=${BENCH_SERVER_ORGS:-1000}
keys_per_org=${BENCH_SERVER_KEYS_PER_ORG:-10}
threads=2
connections=64

server_bin="$build/examples/reference_server/tenantkit-server"
seed_bin="$build/bench/server/tenantkit-bench-seed"
for b in "$server_bin" "$seed_bin"; do
  [ -x "$b" ] || { echo "server suite: $b not built" >&2; exit 1; }
done
for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || { echo "server suite: $tool not found (scripts/install-deps)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/tk-bench-server.XXXXXX)
server_pid=
nginx_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "server suite: FAILED: $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- 1. Seed (the same pepper goes to the seeder and to the server).
pepper=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export TK_API_KEY_PEPPER=$pepper
export TK_DATABASE_URL="sqlite:$work/tenantkit.db"
keys="$work/keys.txt"
"$seed_bin" --orgs="$orgs" --keys-per-org="$keys_per_org" --secrets-out="$keys" ||
  fail "seeding the database"
[ "$(wc -l <"$keys")" -eq "$orgs" ] || fail "expected $orgs secrets in $keys"

# --- 2. The server.
env -u TK_ADMIN_TOKEN -u TK_REDIS_URL -u TK_DATABASE_MIGRATION_URL \
  TK_LISTEN=127.0.0.1:0 TK_ENV=dev TK_LOG_LEVEL=warn TK_OUTBOX_DIR="$work/outbox" \
  TK_JWT_KEY_FILE="$work/jwt-keys.json" "$server_bin" >"$work/server.log" 2>&1 &
server_pid=$!
server_port=
for _ in $(seq 1 200); do
  server_port=$(sed -nE 's#^tenantkit-server listening on http://[^ ]+:([0-9]+)$#\1#p' "$work/server.log" | head -1)
  [ -n "$server_port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited at start"; }
  sleep 0.05
done
[ -n "$server_port" ] || { cat "$work/server.log" >&2; fail "the server did not print its port"; }

# --- 3. The private nginx: same answer shape (200, small body), access log off.
nginx_port=$(free_port)
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    default_type application/json;
    location / { return 200 '{"ok":true}'; }
  }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!

# --- 4. Both answer 200 for the benchmark request before anything is measured.
python3 - "$server_port" "$nginx_port" "$path" "$keys" <<'PY' || fail "pre-check (see above)"
import http.client, sys, time
server_port, nginx_port, path, keys_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
keys = [k.strip() for k in open(keys_file) if k.strip()]
def get(port, key):
    for attempt in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            r = c.getresponse()
            return r.status, r.read()
        except OSError:
            time.sleep(0.05)
    return None, b"no connection"
for key in keys[:3] + keys[-3:]:
    status, body = get(server_port, key)
    if status != 200:
        print(f"tenantkit-server answered {status} to GET {path}: {body[:300]!r}")
        if status == 404:
            print("(the route does not exist in this build; BENCH_SERVER_PATH=/health checks the machinery)")
        sys.exit(1)
status, body = get(nginx_port, keys[0])
if status != 200:
    print(f"nginx answered {status}: {body[:200]!r}")
    sys.exit(1)
PY

# --- 5. wrk, the same command for both.
run_wrk() {  # label port seconds -> prints the JSON line of wrk_keys.lua's done()
  BENCH_KEYS="$keys" BENCH_PATH="$path" wrk -t"$threads" -c"$connections" -d"$3s" \
    --latency -s "$here/wrk_keys.lua" "http://127.0.0.1:$2" >"$work/wrk-$1.txt" 2>&1 ||
    { cat "$work/wrk-$1.txt" >&2; fail "wrk against $1"; }
  sed -n 's/^BENCH_JSON //p' "$work/wrk-$1.txt"
}
run_wrk warmup-server "$server_port" 3 >/dev/null
server_json=$(run_wrk server "$server_port" "$duration")
kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server.log" >&2; fail "the server died under load"; }
run_wrk warmup-nginx "$nginx_port" 3 >/dev/null
nginx_json=$(run_wrk nginx "$nginx_port" "$duration")

# --- 6. Clean stop of the server (SIGTERM -> exit 0).
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=
[ "$rc" -eq 0 ] || { tail -20 "$work/server.log" >&2; fail "the server exited with $rc after SIGTERM"; }

# --- 7. Table and JSON; any non-2xx or socket error fails the run.
python3 - "$out" "$path" "$duration" "$threads" "$connections" "$orgs" "$keys_per_org" \
  "$server_json" "$nginx_json" <<'PY'
import json, os, sys
out, path, duration, threads, conns, orgs, kpo, server_raw, nginx_raw = sys.argv[1:10]
runs = {"tenantkit-server": json.loads(server_raw), "nginx": json.loads(nginx_raw)}
problems = []
for name, r in runs.items():
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    if r["requests"] == 0:
        problems.append(f"{name}: no request completed")
    if r["errors"]["status"]:
        problems.append(f"{name}: {r['errors']['status']} non-2xx/3xx answers")
    socket_errors = sum(v for k, v in r["errors"].items() if k != "status")
    if socket_errors > 0.001 * max(r["requests"], 1):
        problems.append(f"{name}: {socket_errors} socket errors {r['errors']}")
s, n = runs["tenantkit-server"], runs["nginx"]
ratios = {
    "rps_server_over_nginx": s["rps"] / n["rps"] if n["rps"] else None,
    "p99_server_over_nginx": s["p99_us"] / n["p99_us"] if n["p99_us"] else None,
}
goal = {"rps_ratio_min": 0.5, "p99_ratio_max": 2.0}
met = not problems and \
    (ratios["rps_server_over_nginx"] or 0) >= goal["rps_ratio_min"] and \
    (ratios["p99_server_over_nginx"] or 1e9) <= goal["p99_ratio_max"]
summary = {
    "path": path, "threads": int(threads), "connections": int(conns),
    "duration_s": int(duration), "orgs": int(orgs), "api_keys": int(orgs) * int(kpo),
    "keys_rotated": int(orgs), "runs": runs, "ratios": ratios, "goal": goal, "goal_met": met,
    "machine": {"cores": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3]},
    "failed": problems,
}
with open(out, "w") as f:
    json.dump(summary, f, indent=2)
ms = lambda us: f"{us / 1000:.2f} ms"
print(f"\n## Server load: GET {path}, wrk -t{threads} -c{conns} -d{duration}s "
      f"({orgs} orgs, {int(orgs) * int(kpo)} keys, {orgs} rotated)")
print("| target | requests/s | p50 | p99 | requests | errors |")
print("|---|---|---|---|---|---|")
for name, r in runs.items():
    errs = sum(r["errors"].values())
    print(f"| {name} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
          f"{r['requests']:,} | {errs} |")
rr, pr = ratios["rps_server_over_nginx"], ratios["p99_server_over_nginx"]
print(f"\n- rps ratio server/nginx: {rr:.2f} (goal >= {goal['rps_ratio_min']})" if rr else "- rps ratio: n/a")
print(f"- p99 ratio server/nginx: {pr:.2f} (goal <= {goal['p99_ratio_max']})" if pr else "- p99 ratio: n/a")
if problems:
    print("\nFAILED, these figures are not valid: " + "; ".join(problems))
    sys.exit(1)
print(f"- goal met: {'yes' if met else 'no'}")
PY
