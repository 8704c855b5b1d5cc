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
# store_bench measures PostgreSQL too: a throwaway server from Debian's postgresql (as nobody when
# root: PostgreSQL refuses root), with synchronous_commit off (what SQLite's synchronous=NORMAL in
# WAL mode also gives up: the last commits before a power loss, never consistency), stopped at exit.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  pg_dir=$(mktemp -d)
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    chown 65534:65534 "$pg_dir"
    as_pg=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  fi
  pg_port=$((20000 + RANDOM % 30000))
  if "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U vigil --auth=trust -E UTF8 --locale=C --no-sync >/dev/null &&
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories= -c synchronous_commit=off" \
      start >/dev/null; then
    trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
    export VIGIL_BENCH_POSTGRES_DSN="postgres://vigil@127.0.0.1:$pg_port/postgres"
  else
    echo "== could not start PostgreSQL for store_bench; it measures SQLite only"
  fi
fi
status=0
for b in "$build_dir"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
exit $status
