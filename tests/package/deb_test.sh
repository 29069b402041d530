#!/usr/bin/env bash
# Builds the Debian package from a configured and built tree, unpacks it into a scratch root
# (dpkg -x, no root needed), checks its control data and files, runs what it ships, and builds
# tests/consumer (C++ and C) against <root>/usr. Prints one line per check and ends with
# "package: N passed, N failed"; exits non-zero when a check failed.
#
#   tests/package/deb_test.sh <build dir> [<scratch dir>]
#
# The build tree must have TENANTKIT_BUILD_SERVER=ON and TENANTKIT_INSTALL=ON (scripts/test uses
# build/ci: -O1, stripped by CPack).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: deb_test.sh <build dir> [scratch dir]}" && pwd)
scratch=${2:-$build/package-test}
rm -rf "$scratch"
mkdir -p "$scratch/out" "$scratch/root"
scratch=$(cd "$scratch" && pwd)  # absolute: cpack runs from inside the build tree
passed=0
failed=0
check() {  # check <description> <command...>
  local what=$1
  shift
  if "$@" >"$scratch/last.log" 2>&1; then
    passed=$((passed + 1))
    echo "  ok   $what"
  else
    failed=$((failed + 1))
    echo "  FAIL $what"
    sed 's/^/       /' "$scratch/last.log" | tail -20
  fi
}
finish() {
  echo "package: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

echo "=== cpack -G DEB ($build)"
if ! (cd "$build" && cpack -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1); then
  cat "$scratch/cpack.log"
  failed=$((failed + 1))
  finish
fi
deb=$(ls "$scratch"/out/tenantkit_*.deb 2>/dev/null | head -1)
check "one .deb named tenantkit_<version>_<arch>.deb" test -f "$deb"
[ -f "$deb" ] || finish
root=$scratch/root
check "dpkg -x unpacks it" dpkg -x "$deb" "$root"
dpkg-deb -f "$deb" >"$scratch/control"
dpkg-deb --ctrl-tarfile "$deb" | tar -t >"$scratch/control-files"

has() { grep -qE "$1" "$2"; }
check "control: Package: tenantkit" has '^Package: tenantkit$' "$scratch/control"
check "control: Depends computed by dpkg-shlibdeps (libc6, libsodium23, libstdc++6)" \
  bash -c "grep '^Depends:' '$scratch/control' | grep -q 'libc6' &&
           grep '^Depends:' '$scratch/control' | grep -q 'libsodium23' &&
           grep '^Depends:' '$scratch/control' | grep -q 'libstdc++6'"
check "control: Depends on the -dev packages find_package needs" \
  bash -c "grep '^Depends:' '$scratch/control' | grep -q 'libboost-json1.81-dev'"
check "control: conffiles lists /etc/tenantkit/tenantkit.env" \
  bash -c "dpkg-deb --info '$deb' conffiles | grep -qx '/etc/tenantkit/tenantkit.env'"
check "control: postinst creates the tenantkit user" \
  bash -c "dpkg-deb --info '$deb' postinst | grep -q 'adduser --system'"

libdir=$(dirname "$(find "$root/usr" -name 'libtenantkit.a' | head -1)")
for f in usr/include/tenantkit/c/tenantkit.h usr/include/tenantkit/rbac/engine.hpp \
         usr/bin/tenantkit-server usr/lib/systemd/system/tenantkit-server.service \
         etc/tenantkit/tenantkit.env usr/share/doc/tenantkit/copyright \
         usr/lib/python3/dist-packages/tenantkit/__init__.py \
         usr/lib/python3/dist-packages/tenantkit/py.typed; do
  check "file /$f" test -f "$root/$f"
done
for f in libtenantkit.a libtenantkit_redis.a libtenantkit_sqlite.a libtenantkit_postgres.a \
         libtenantkit_c.so.0 cmake/tenantkit/tenantkitConfig.cmake \
         cmake/tenantkit/tenantkitTargets.cmake pkgconfig/tenantkit.pc pkgconfig/tenantkit-c.pc; do
  check "file ${libdir#"$root"}/$f" test -e "$libdir/$f"
done
unit=$root/usr/lib/systemd/system/tenantkit-server.service
check "unit: User=tenantkit, StateDirectory, EnvironmentFile, ExecStart" bash -c "
  grep -qx 'User=tenantkit' '$unit' && grep -qx 'StateDirectory=tenantkit' '$unit' &&
  grep -qx 'EnvironmentFile=/etc/tenantkit/tenantkit.env' '$unit' &&
  grep -qx 'ExecStart=/usr/bin/tenantkit-server' '$unit'"
check "libtenantkit_c.so.0 exports only tk_* symbols" bash -c "
  ! nm -D --defined-only '$libdir/libtenantkit_c.so.0' | grep -v ' tk_'"
check "tenantkit-server --help runs" "$root/usr/bin/tenantkit-server" --help
# The packaged configuration starts the packaged server: state paths moved into the scratch
# folder (the unit's StateDirectory), an ephemeral port; /health and /ready must answer 200.
serve() {
  local state=$scratch/state log=$scratch/server.log pid port i
  mkdir -p "$state"
  (
    set -a
    . "$root/etc/tenantkit/tenantkit.env"
    set +a
    cd "$state" || exit 1
    exec env TK_LISTEN=127.0.0.1:0 TK_DATABASE_URL="sqlite:$state/tk.db" \
      TK_JWT_KEY_FILE="$state/jwt.json" TK_OUTBOX_DIR="$state/outbox" \
      "$root/usr/bin/tenantkit-server"
  ) >"$log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do
    grep -q 'listening on' "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  port=$(sed -nE 's/.*listening on http:\/\/[^ ]*:([0-9]+).*/\1/p' "$log" | head -1)
  local rc=1
  if [ -n "$port" ] &&
     curl -fsS "http://127.0.0.1:$port/health" >/dev/null &&
     curl -fsS "http://127.0.0.1:$port/ready" >/dev/null; then
    rc=0
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$rc" -eq 0 ] || cat "$log"
  return "$rc"
}
check "the server starts with /etc/tenantkit/tenantkit.env and answers /health, /ready" serve
check "python3 imports the packaged binding and loads libtenantkit_c.so.0" env \
  PYTHONPATH="$root/usr/lib/python3/dist-packages" LD_LIBRARY_PATH="$libdir" \
  PYTHONDONTWRITEBYTECODE=1 python3 -c \
  "import tenantkit as tk; r = tk.Rbac(); r.set_user_roles('o', 'u', ['member']); assert r.check('o', 'u', 'data:read'); print(tk.library_version())"

echo "=== tests/consumer against $root/usr"
check "consumer configures (find_package, pkg-config)" cmake -S "$src/tests/consumer" \
  -B "$scratch/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Debug
check "consumer builds (C++ and C, CMake targets and pkg-config)" \
  cmake --build "$scratch/consumer" -j "${TK_TEST_JOBS:-2}"
check "consumer runs" bash -c "cd '$scratch/consumer' && ctest --output-on-failure"
check "consumer includes the C targets" bash -c "cd '$scratch/consumer' && ctest -N | grep -q consumer_c_runs"
finish
