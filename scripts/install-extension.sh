#!/usr/bin/env bash
# Builds and installs the `pymcache_fdw` extension (extension/: its SQL script and the transaction guard library the
# wrapper loads) into Debian's PostgreSQL 15. Called by scripts/bootstrap.sh on every `npm test` and `npm run demo`:
# prints nothing when the installed extension matches extension/'s sources. PYMCACHE_PG_ROOT (a relocated copy of
# PostgreSQL 15 running multicorn2, docs/host.md) installs into that copy as well, with DESTDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=/usr/bin/pg_config
if [[ ! -x "$PG_CONFIG" ]]; then
  echo "install-extension: $PG_CONFIG is missing; install postgresql-server-dev-15 (scripts/bootstrap.sh does)" >&2
  exit 1
fi
source_hash="$(
  {
    find extension -type f \( -name '*.c' -o -name '*.h' -o -name '*.sql' -o -name '*.control' -o -name Makefile \) -print0 |
      sort -z | xargs -0 sha256sum
    "$PG_CONFIG" --version
  } | sha256sum | cut -d' ' -f1
)"

# install_into ROOT: installs under ROOT ('' for the system's own PostgreSQL) unless the stamp there matches.
install_into() {
  local root="$1"
  local sharedir pkglibdir stamp log
  sharedir="$root$("$PG_CONFIG" --sharedir)"
  pkglibdir="$root$("$PG_CONFIG" --pkglibdir)"
  stamp="$sharedir/extension/pymcache_fdw.source-hash"
  if [[ -f "$pkglibdir/pymcache_fdw.so" && "$(cat "$stamp" 2>/dev/null)" == "$source_hash" ]]; then
    return 0
  fi
  if [[ ! -w "$sharedir/extension" || ! -w "$pkglibdir" ]]; then
    echo "install-extension: cannot write to $sharedir/extension or $pkglibdir; run as root" >&2
    exit 1
  fi
  echo "install-extension: building and installing the pymcache_fdw extension (extension/) into ${root:-PostgreSQL 15}"
  log="$(mktemp)"
  if ! { make -C extension -s clean PG_CONFIG="$PG_CONFIG" && make -C extension -s PG_CONFIG="$PG_CONFIG" &&
    make -C extension -s install PG_CONFIG="$PG_CONFIG" DESTDIR="$root"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "install-extension: building extension/ failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$source_hash" >"$stamp"
}

install_into ''
if [[ -n "${PYMCACHE_PG_ROOT:-}" ]]; then install_into "$PYMCACHE_PG_ROOT"; fi
