#!/usr/bin/env bash
# Fails when a C++ source of the repository is not formatted as .clang-format says (clang-format
# 14, Debian 12's). Run by `make test` (ctest repo.clang_format); `make format` applies it.
# Exits 77 (skipped) where clang-format is not installed (scripts/bootstrap.sh format installs it).
#
# Usage: check_format.sh [--fix] [ROOT]
set -uo pipefail

fix=0
if [ "${1:-}" = "--fix" ]; then
  fix=1
  shift
fi
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root" || exit 2

formatter=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$formatter" ]; then
  echo "check_format: clang-format is not installed (scripts/bootstrap.sh format); skipped" >&2
  exit 77
fi

# Captured data (fixtures, fuzz corpora) is not ours to format.
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' |
  grep -v -e '^tests/fixtures/' -e '^fuzz/corpus/' -e '^fuzz/regressions/' -e '^build')
if [ $fix -eq 1 ]; then
  "$formatter" -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi
if ! "$formatter" --dry-run -Werror "${files[@]}" 2>/tmp/check_format.$$; then
  grep -E '^[^ ].*(error|warning):' /tmp/check_format.$$ | sed 's/: error: code should be clang-formatted.*/: not formatted as .clang-format says/' | head -40
  n=$(grep -cE '(error|warning):' /tmp/check_format.$$)
  rm -f /tmp/check_format.$$
  echo "check_format: $n place(s) not formatted; run \`make format\`" >&2
  exit 1
fi
rm -f /tmp/check_format.$$
echo "check_format: ${#files[@]} files formatted as .clang-format says"
