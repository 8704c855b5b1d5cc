#!/usr/bin/env bash
# `make bench`: runs every benchmark program and prints its figures.
# bolt_compare_bench compares `vigil serve` with a reference Bolt app (bench/bolt/); its npm
# packages come from bench/bolt/package-lock.json (`npm ci`) the first time. When node, npm or the
# registry is missing, the Bolt half is skipped (the bench says why) and make bench goes on.
set -euo pipefail
build_dir=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
bolt_dir=$here/bench/bolt
if [ ! -f "$bolt_dir/node_modules/@slack/bolt/package.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== installing @slack/bolt for bolt_compare_bench (npm ci in bench/bolt)"
    (cd "$bolt_dir" && npm ci --no-audit --no-fund --loglevel=error) ||
      echo "npm ci failed; bolt_compare_bench will skip Bolt"
  else
    echo "== npm not found; bolt_compare_bench will skip Bolt"
  fi
  echo
fi
status=0
for b in "$build_dir"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
exit $status
