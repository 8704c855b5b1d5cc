#!/usr/bin/env bash
# Soak test (not part of `make bench` or CI): `vigil serve` against the Slack emulator at a
# moderate load (50 envelopes/s of channel messages and a /triage run every 5 s, its stand-in
# agent streaming 64 KiB/s for 5 s) for SOAK_MINUTES (default 30), resident memory sampled every
# minute. Prints the samples and the growth; exits non-zero when RSS grew by more than
# SOAK_BOUND_MIB (default 5) after the first SOAK_WARMUP_MINUTES (default 5), or when an envelope
# went unacked or a run never showed its final state.
#   SOAK_MINUTES=30 bench/soak.sh [build dir]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$here/build}
if [ ! -x "$build_dir/bench/soak_driver" ] || [ ! -x "$build_dir/vigil" ] || [ ! -x "$build_dir/bench/stream_agent" ]; then
  cmake --build "$build_dir" --target vigil soak_driver stream_agent
fi
exec "$build_dir/bench/soak_driver" --minutes "${SOAK_MINUTES:-30}" \
  --warmup-minutes "${SOAK_WARMUP_MINUTES:-5}" --bound-mib "${SOAK_BOUND_MIB:-5}"
