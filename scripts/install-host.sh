#!/usr/bin/env bash
# Builds and installs the project's Multicorn-compatible host (host/: the `multicorn` extension and its
# Python package) into Debian's PostgreSQL 15. Called by scripts/bootstrap.sh on every `npm test` and
# `npm run demo`: prints nothing when the installed host matches host/'s sources.
#
# It never overwrites a Multicorn it did not build: when a multicorn.control without our marker is
# installed (a real multicorn2), that one is used and nothing is built.
#   PYMCACHE_MULTICORN=auto    (default) ours unless a real multicorn2 is installed
#   PYMCACHE_MULTICORN=host    ours; fails if a real multicorn2 occupies the name
#   PYMCACHE_MULTICORN=system  a real multicorn2 must be installed; builds nothing
# PYMCACHE_PG_ROOT (a relocated copy of PostgreSQL 15 with multicorn2 in it, docs/host.md) is checked, never
# built into.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${PYMCACHE_MULTICORN:-auto}"
if [[ -n "${PYMCACHE_PG_ROOT:-}" ]]; then PG_CONFIG="${PG_CONFIG:-$PYMCACHE_PG_ROOT/usr/lib/postgresql/15/bin/pg_config}"; fi
PG_CONFIG="${PG_CONFIG:-/usr/bin/pg_config}"
PYTHON_CONFIG=/usr/bin/python3-config
MARKER='built by pymcache_fdw'

case "$MODE" in
  auto | host | system) ;;
  *) echo "install-host: PYMCACHE_MULTICORN must be auto, host or system (got '$MODE')" >&2; exit 2 ;;
esac
if [[ ! -x "$PG_CONFIG" ]]; then
  echo "install-host: $PG_CONFIG is missing; install postgresql-server-dev-15 (scripts/bootstrap.sh does)" >&2
  exit 1
fi

sharedir="$("$PG_CONFIG" --sharedir)"
pkglibdir="$("$PG_CONFIG" --pkglibdir)"
control="$sharedir/extension/multicorn.control"
stamp="$sharedir/multicorn_host/SOURCE_HASH"

installed=none
if [[ -f "$control" ]]; then
  if grep -q "$MARKER" "$control"; then installed=host; else installed=system; fi
fi

if [[ "$MODE" == system ]]; then
  if [[ "$installed" == system ]]; then exit 0; fi
  echo "install-host: PYMCACHE_MULTICORN=system, but $control is $([[ $installed == host ]] && echo "this project's host" || echo "missing"); install multicorn2 (>= 3.0) or unset PYMCACHE_MULTICORN" >&2
  exit 1
fi
if [[ "$installed" == system ]]; then
  if [[ "$MODE" == auto ]]; then exit 0; fi
  echo "install-host: a Multicorn this project did not build is installed ($control); refusing to overwrite it. Use it (PYMCACHE_MULTICORN=system) or uninstall it first" >&2
  exit 1
fi

if [[ -n "${PYMCACHE_PG_ROOT:-}" ]]; then
  echo "install-host: PYMCACHE_PG_ROOT=$PYMCACHE_PG_ROOT has no multicorn2 ($control is $([[ $installed == host ]] && echo "this project's host" || echo "missing")); the host is only built into Debian's PostgreSQL. Install multicorn2 there (docs/host.md) or unset PYMCACHE_PG_ROOT" >&2
  exit 1
fi
if [[ ! -x "$PYTHON_CONFIG" ]]; then
  echo "install-host: $PYTHON_CONFIG is missing; install python3-dev (scripts/bootstrap.sh does)" >&2
  exit 1
fi

# Everything the installed result depends on: our sources and the two toolchains they are built against.
source_hash="$(
  {
    find host -type f \( -name '*.c' -o -name '*.h' -o -name '*.py' -o -name '*.sql' -o -name '*.control' -o -name Makefile \) \
      -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum
    "$PG_CONFIG" --version
    "$PYTHON_CONFIG" --embed --ldflags
  } | sha256sum | cut -d' ' -f1
)"
if [[ "$installed" == host && -f "$pkglibdir/multicorn.so" && "$(cat "$stamp" 2>/dev/null)" == "$source_hash" ]]; then
  exit 0
fi

if [[ ! -w "$sharedir/extension" || ! -w "$pkglibdir" ]]; then
  echo "install-host: cannot write to $sharedir/extension or $pkglibdir; run as root (the host must be (re)installed)" >&2
  exit 1
fi
echo "install-host: building and installing the Multicorn-compatible host (host/)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { make -C host -s clean && make -C host -s PG_CONFIG="$PG_CONFIG" && make -C host -s install PG_CONFIG="$PG_CONFIG"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-host: building host/ failed (output above)" >&2
  exit 1
fi
echo "$source_hash" >"$stamp"
