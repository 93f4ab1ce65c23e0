#!/usr/bin/env bash
# The whole suite: emit python-out (CI fails if that changes a committed file), type-check, check the C format, then
# every vitest layer.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run -s build
if [[ -n "$(git status --porcelain -- python-out 2>/dev/null)" ]]; then
  echo "python-out/ differs from what src/ emits; run 'npm run build' and commit the result:" >&2
  git status --porcelain -- python-out >&2
  git --no-pager diff --stat -- python-out >&2 || true
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
fi
npx tsc --noEmit -p tsconfig.json
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
if ((format_status != 0)); then
  echo "C format check failed (diff printed before the tests): run scripts/check-c-format.sh --fix" >&2
  if ((status == 0)); then status=$format_status; fi
fi
exit "$status"
