#!/usr/bin/env bash
# Checks that the project's C files are formatted as .clang-format says (pgindent-like, 120 columns): prints the
# diff of every file clang-format would change and exits 1 if there is one. scripts/test.sh runs it.
#   scripts/check-c-format.sh                 check the formatted directories (FORMATTED_DIRS)
#   scripts/check-c-format.sh --fix [DIR...]  rewrite the files in place (default: FORMATTED_DIRS)
#   scripts/check-c-format.sh DIR...          check other directories, e.g. extension before it joins the list
# clang-format comes from Debian's clang-format package (14 on Debian 12), installed by scripts/bootstrap.sh;
# other versions format some constructs differently.
set -euo pipefail
cd "$(dirname "$0")/.."

# Directories whose C files must stay formatted.
FORMATTED_DIRS=(host extension)
EXPECTED_MAJOR=14

fix=false
if [[ "${1:-}" == "--fix" ]]; then
  fix=true
  shift
fi
dirs=("$@")
if ((${#dirs[@]} == 0)); then dirs=("${FORMATTED_DIRS[@]}"); fi

if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-c-format: clang-format is missing; run scripts/bootstrap.sh (Debian package clang-format)" >&2
  exit 1
fi
version="$(clang-format --version)"
major="$(sed -E 's/.*version ([0-9]+).*/\1/' <<<"$version")"

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${dirs[@]}" | grep -E '\.(c|h)$' | sort)
if ((${#files[@]} == 0)); then
  echo "check-c-format: no C files under ${dirs[*]}" >&2
  exit 1
fi

if [[ "$fix" == true ]]; then
  clang-format -i --style=file "${files[@]}"
  echo "check-c-format: formatted ${#files[@]} file(s) under ${dirs[*]}"
  exit 0
fi

changed=0
for file in "${files[@]}"; do
  if ! clang-format --style=file "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" -; then
    changed=$((changed + 1))
  fi
done
if ((changed > 0)); then
  echo "check-c-format: $changed of ${#files[@]} C file(s) are not formatted (diff above); run scripts/check-c-format.sh --fix${*:+ $*}" >&2
  if [[ "$major" != "$EXPECTED_MAJOR" ]]; then
    echo "check-c-format: note: this is $version; the files are formatted with clang-format $EXPECTED_MAJOR (Debian 12)" >&2
  fi
  exit 1
fi
