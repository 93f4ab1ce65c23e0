#!/usr/bin/env bash
# Instructions per statement inside a PostgreSQL backend, counted by callgrind (reproducible on a noisy machine,
# unlike wall-clock time). Runs `postgres --single` on a COPY of a data directory that holds the benchmark database
# (the `cache` table of bench/run.ts, pgmemcache, and optionally the `floor` table of floor_wrapper.py), N1 and then
# N2 executions of one prepared statement, and prints (Ir(N2) - Ir(N1)) / (N2 - N1): start-up costs cancel out.
#   bench/profile/callgrind.sh DATADIR KIND N1 N2      KIND: w1 w1pg w2 w2pg w4w w4wpg floor sel
# bench/profile/datadir.sh makes such a data directory. Memcached must listen on MEMCACHED (default 127.0.0.1:11211).
# PYMCACHE_PG_ROOT and PYMCACHE_MULTICORN_PYTHONPATH choose the PostgreSQL and Multicorn as for the tests (docs/host.md);
# PACKAGE_DIR (default python-out/) is the directory holding the pymcache_fdw package to profile (e.g. an older one).
# The per-function split:
#   python3 bench/profile/cgdiff.py OUT1 OUT2 N2-N1 [inc|self] [rows]
set -euo pipefail
datadir=$1 kind=$2 n1=$3 n2=$4
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
memcached="${MEMCACHED:-127.0.0.1:11211}"
out="${OUT:-/tmp/pymcache-callgrind}"
bin="${PYMCACHE_PG_ROOT:-}/usr/lib/postgresql/15/bin"
pythonpath="${PYMCACHE_MULTICORN_PYTHONPATH:+$PYMCACHE_MULTICORN_PYTHONPATH:}${PACKAGE_DIR:-$repo/python-out}:$here"
mkdir -p "$out" && chmod 777 "$out"

script() {
  local n=$1 i keys
  keys="{$(seq -s, 1 1000)}"
  case $kind in
    w1) echo 'PREPARE q(text) AS SELECT value FROM cache WHERE key = $1::text;' ;;
    w1pg) echo 'PREPARE q(text) AS SELECT memcache_get($1::text);' ;;
    w2) echo 'PREPARE q(text[]) AS SELECT count(value) FROM cache WHERE key = ANY($1::text[]);' ;;
    w2pg) echo 'PREPARE q(text[]) AS SELECT count(value) FROM memcache_get_multi($1::text[]);' ;;
    w4w) echo "PREPARE q(text) AS INSERT INTO cache (key, value) VALUES (\$1::text, repeat('y', 100));" ;;
    w4wpg) echo "PREPARE q(text) AS SELECT memcache_set(\$1::text, repeat('y', 100));" ;;
    floor) echo 'PREPARE q(text) AS SELECT value FROM floor WHERE key = $1::text;' ;;
    sel) echo 'PREPARE q(text) AS SELECT $1::text;' ;;
    *) echo "unknown kind $kind" >&2; exit 2 ;;
  esac
  for ((i = 1; i <= n; i++)); do
    case $kind in
      w2 | w2pg) echo "EXECUTE q('$keys');" ;;
      *) echo "EXECUTE q('$((RANDOM % 10000 + 1))');" ;;
    esac
  done
}

count() {
  local n=$1
  local file="$out/$kind-$n.callgrind"
  script "$n" > "$out/$kind-$n.sql"
  runuser -u postgres -- env PYTHONPATH="$pythonpath" \
    valgrind --tool=callgrind --callgrind-out-file="$file" "$bin/postgres" --single -D "$datadir" \
    -c jit=on -c shared_preload_libraries=pgmemcache -c "pgmemcache.default_servers=$memcached" bench \
    < "$out/$kind-$n.sql" > "$out/$kind-$n.out" 2> "$out/$kind-$n.err"
  if grep -q -E "ERROR|FATAL" "$out/$kind-$n.err"; then echo "errors in $out/$kind-$n.err" >&2; exit 1; fi
  grep -o 'Collected : [0-9]*' "$out/$kind-$n.err" | awk '{print $3}'
}

a=$(count "$n1")
b=$(count "$n2")
echo "$kind: $(( (b - a) / (n2 - n1) )) instructions per statement ($out/$kind-$n1.callgrind, $out/$kind-$n2.callgrind)"
