#!/usr/bin/env bash
# The whole suite: check that python-out is what src/ emits (the emitter's --check lists every file that differs; CI
# fails on it, elsewhere python-out is emitted again and the run goes on), type-check, lint and format-check the
# TypeScript, check the C format, then every vitest layer, and (the whole run only) the differential layer under each
# other Python the machine has. Arguments go to vitest (a file filter, -t, --project standalone).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! npm run -s build -- --check; then
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  echo "test.sh: emitting python-out/ again (in CI this fails the run)" >&2
  npm run -s build
fi
npx tsc --noEmit -p tsconfig.json
# TypeScript style: ESLint (eslint.config.mjs) and Prettier (.prettierrc.json); `npm run format` fixes the latter.
npx eslint .
mkdir -p .run
if ! npx prettier --check . > .run/prettier.log 2>&1; then
  cat .run/prettier.log >&2
  echo "test.sh: TypeScript not formatted as .prettierrc.json says: run npm run format" >&2
  exit 1
fi
# The C of host/ as .clang-format says; a diff fails the run, after the tests so that they still report.
format_status=0
bash scripts/check-c-format.sh || format_status=$?
mkdir -p .run && rm -f .run/vitest-results.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest-results.json "$@" || status=$?
# One plain closing line a CI log reader understands, whatever the reporter printed.
if [[ -f .run/vitest-results.json ]]; then
  node -e 'const r = require(process.argv[1]); console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$PWD/.run/vitest-results.json"
fi
# The differential suite again under every other Python multicorn2 supports that this machine has (pyenv's), the
# whole run only: the emitted package must compute what Node computes on each, not only on Debian's 3.11.
if (($# == 0)); then
  pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for minor in 3.9 3.10 3.12 3.13; do
    python=$(ls -d "$pyenv_root"/versions/"$minor".*/bin/python"$minor" 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$python" ]]; then
      echo "test.sh: Python $minor is not installed under $pyenv_root: its differential run is skipped"
      continue
    fi
    if PYMCACHE_DIFF_PYTHON="$python" npx vitest run --reporter=dot test/differential/ > ".run/differential-$minor.log" 2>&1; then
      echo "differential tests under $python: $(sed 's/\x1b\[[0-9;]*m//g' ".run/differential-$minor.log" | grep -E '^ +Tests ' | sed 's/^ *Tests *//')"
    else
      cat ".run/differential-$minor.log" >&2
      echo "test.sh: the differential tests failed under $python" >&2
      status=1
    fi
  done
fi
if ((format_status != 0)); then
  echo "C format check failed (diff printed before the tests): run scripts/check-c-format.sh --fix" >&2
  if ((status == 0)); then status=$format_status; fi
fi
exit "$status"
