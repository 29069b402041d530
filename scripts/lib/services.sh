# Throwaway PostgreSQL 15 and Redis 7 on loopback, for tests and benchmarks. Source this file.
#   tk_services_start [postgres] [redis]   start them (default: both) and export their URLs
#   tk_services_stop                       stop whatever was started; safe to call twice
# Exports:
#   TK_TEST_DATABASE_URL  postgresql://postgres@127.0.0.1:PORT/postgres (superuser; tests make
#                         their own databases and non-owner roles)
#   TK_TEST_REDIS_URL     redis://127.0.0.1:PORT/0
# PostgreSQL refuses to run as root, so it runs as the unprivileged user `tenantkit-test`.

_tk_free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

_tk_pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  echo "PostgreSQL server binaries not found (install postgresql-15)" >&2
  return 1
}

tk_services_start() {
  local want=("$@")
  [ ${#want[@]} -eq 0 ] && want=(postgres redis)
  TK_SERVICES_DIR=$(mktemp -d /tmp/tenantkit-services.XXXXXX)
  chmod 755 "$TK_SERVICES_DIR"
  export TK_SERVICES_DIR
  local s
  for s in "${want[@]}"; do
    case "$s" in
      postgres) _tk_start_postgres || return 1 ;;
      redis) _tk_start_redis || return 1 ;;
      *) echo "unknown service $s" >&2; return 1 ;;
    esac
  done
}

_tk_start_postgres() {
  local bin port data user run
  bin=$(_tk_pg_bin) || return 1
  port=$(_tk_free_port) || return 1
  data="$TK_SERVICES_DIR/pg"
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    user=tenantkit-test
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    chown "$user" "$data"
    run=(runuser -u "$user" --)
  else
    run=()
  fi
  "${run[@]}" "$bin/initdb" -D "$data/db" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$TK_SERVICES_DIR/initdb.log" 2>&1 || { cat "$TK_SERVICES_DIR/initdb.log" >&2; return 1; }
  # Throwaway server: durability off, loopback only, socket in the temp dir.
  "${run[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$data/server.log" >&2; return 1; }
  TK_SERVICES_PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$data/db" -m immediate -w stop)
  export TK_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  export TK_TEST_PG_PORT=$port
  echo "services: PostgreSQL on 127.0.0.1:$port" >&2
}

_tk_start_redis() {
  local port
  port=$(_tk_free_port) || return 1
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$TK_SERVICES_DIR" --pidfile "$TK_SERVICES_DIR/redis.pid" \
    --logfile "$TK_SERVICES_DIR/redis.log" || return 1
  local i
  for i in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$port" ping >/dev/null 2>&1 || { cat "$TK_SERVICES_DIR/redis.log" >&2; return 1; }
  export TK_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  export TK_TEST_REDIS_PORT=$port
  echo "services: Redis on 127.0.0.1:$port" >&2
}

tk_services_stop() {
  if [ -n "${TK_SERVICES_PG_STOP+x}" ] && [ ${#TK_SERVICES_PG_STOP[@]} -gt 0 ]; then
    "${TK_SERVICES_PG_STOP[@]}" >/dev/null 2>&1 || true
    TK_SERVICES_PG_STOP=()
  fi
  if [ -n "${TK_SERVICES_DIR:-}" ] && [ -f "$TK_SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$TK_SERVICES_DIR/redis.pid")" 2>/dev/null || true
    rm -f "$TK_SERVICES_DIR/redis.pid"
  fi
  if [ -n "${TK_SERVICES_DIR:-}" ] && [ -d "$TK_SERVICES_DIR" ]; then
    rm -rf "$TK_SERVICES_DIR"
  fi
  TK_SERVICES_DIR=
}
