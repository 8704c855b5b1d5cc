#!/usr/bin/env bash
# `make bench`: runs every benchmark program and prints its figures.
set -euo pipefail
build_dir=${1:-build}
status=0
for b in "$build_dir"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
exit $status
