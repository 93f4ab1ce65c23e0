#!/usr/bin/env bash
# A data directory for bench/profile/callgrind.sh: initdb, then in single-user mode the benchmark database of
# bench/run.ts (the `cache` foreign table on memcached at 127.0.0.1:PORT, pgmemcache) plus the `floor` table of
# floor_wrapper.py, and keys 1..10000 with 100-byte values stored in that memcached (which must be running).
#   bench/profile/datadir.sh DATADIR PORT
# PYMCACHE_PG_ROOT and PYMCACHE_MULTICORN_PYTHONPATH choose the PostgreSQL and Multicorn as for the tests
# (docs/host.md): a data directory made for multicorn2 is profiled with the same variables set.
set -euo pipefail
datadir=$1 port=$2
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${PYMCACHE_PG_ROOT:-}/usr/lib/postgresql/15/bin"
pythonpath="${PYMCACHE_MULTICORN_PYTHONPATH:+$PYMCACHE_MULTICORN_PYTHONPATH:}$repo/python-out:$here"

if [[ -e "$datadir" ]]; then echo "$datadir exists; remove it first" >&2; exit 1; fi
mkdir -p "$datadir" && chown postgres:postgres "$datadir"
runuser -u postgres -- "$bin/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync > /dev/null

single() {
  runuser -u postgres -- env PYTHONPATH="$pythonpath" "$bin/postgres" --single -D "$datadir" \
    -c shared_preload_libraries=pgmemcache -c "pgmemcache.default_servers=127.0.0.1:$port" "$1" > "$datadir.setup.log" 2>&1 || { cat "$datadir.setup.log" >&2; exit 1; }
}

echo 'CREATE DATABASE bench;' | single postgres
# One statement per run: the statements after a CREATE SERVER (whose validator starts Python) were lost otherwise.
for statement in \
  'CREATE EXTENSION multicorn' \
  'CREATE EXTENSION pgmemcache' \
  "CREATE SERVER cache_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')" \
  "CREATE FOREIGN TABLE cache (key text, value text) SERVER cache_server OPTIONS (host '127.0.0.1', port '$port', row_id 'key')" \
  "CREATE SERVER floor_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'floor_wrapper.OneRow')" \
  'CREATE FOREIGN TABLE floor (key text, value text) SERVER floor_server' \
  "SELECT count(memcache_set(g::text, repeat('v', 100))) FROM generate_series(1, 10000) g"; do
  echo "$statement;" | single bench
  if grep -q -E 'ERROR|FATAL' "$datadir.setup.log"; then cat "$datadir.setup.log" >&2; exit 1; fi
done
echo "$datadir: database bench, table cache on memcached 127.0.0.1:$port (keys 1..10000), table floor"
