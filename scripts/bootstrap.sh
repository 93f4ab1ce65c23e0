#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (run as root): installs the Debian packages the tests, the demo and
# the benchmark need, runs `npm ci` when node_modules is missing or stale, builds + installs the Multicorn-compatible
# host unless a real Multicorn is installed, and the pymcache_fdw extension. Prints nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 20.19+ (vite 8, under vitest) or 22.12+; Debian 12's own nodejs is 18, so it cannot come from apt.
node_version=$(node -p 'process.versions.node' 2>/dev/null || echo none)
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)' 2>/dev/null; then
  echo "bootstrap: Node.js 20.19 or newer (or 22.12+) is required, found ${node_version}; install it from nodejs.org or NodeSource" >&2
  exit 1
fi

APT_PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-plperl-15 postgresql-15-pgmemcache
  python3-dev python3-pymemcache python3-mypy python3-pip python3-setuptools python3-wheel
  memcached nutcracker openssl libcache-memcached-perl php-cli php-memcached
  build-essential clang-format
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
  # Debian starts these services on install; the project starts its own throwaway instances instead.
  for service in memcached nutcracker postgresql; do
    if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
  done
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat node_modules/.bootstrap-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_hash" > node_modules/.bootstrap-lock-hash
fi

if [[ -x scripts/install-host.sh ]]; then
  scripts/install-host.sh
fi
scripts/install-extension.sh
