#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted input (libFuzzer with ASan and UBSan, clang).
#
# Builds every fuzz/fuzz_<target>.cpp in build-fuzz, then for each target:
#   1. replays fuzz/regressions/<target>/* (inputs that once crashed: each must pass now);
#   2. fuzzes for FUZZ_SECONDS seconds from a scratch copy of fuzz/corpus/<target> (the repo's
#      corpus is never written), with fuzz/dicts/<target>.dict when there is one;
#   3. prints its figures (runs, execs/s, coverage edges, features, corpus size).
# A crash, leak, timeout or sanitizer report fails the run; the input is kept in
# build-fuzz/findings/<target>/ and the command that replays it is printed.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_TARGETS (space-separated names without the fuzz_
# prefix; default all), FUZZ_MAX_LEN (longest input tried, default 16384), FUZZ_BUILD_DIR
# (default build-fuzz), JOBS (build parallelism).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-16384}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

./scripts/bootstrap.sh fuzz
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVIGIL_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for src in fuzz/fuzz_*.cpp; do
    name=$(basename "$src" .cpp)
    targets+=("${name#fuzz_}")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target '$t' (fuzz/fuzz_$t.cpp)" >&2
    exit 2
  fi
  findings="$root/$build/findings/$t"
  scratch="$root/$build/scratch/$t"
  log="$root/$build/logs/$t.log"
  rm -rf "$scratch"
  mkdir -p "$findings" "$scratch" "$(dirname "$log")"
  [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$scratch/"

  # Inputs that once crashed must pass, every run.
  shopt -s nullglob
  regressions=(fuzz/regressions/"$t"/*)
  shopt -u nullglob
  if [ ${#regressions[@]} -gt 0 ]; then
    if ! "$bin" -rss_limit_mb=4096 -timeout=30 "${regressions[@]}" >"$log.replay" 2>&1; then
      echo "fuzz: $t: a saved regression input fails again:" >&2
      grep -E "Running:|ERROR|SUMMARY|runtime error|fuzz:" "$log.replay" | tail -n 20 >&2 || tail -n 40 "$log.replay" >&2
      echo "fuzz: full log: $log.replay" >&2
      failed+=("$t")
      continue
    fi
  fi

  args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096
        -print_final_stats=1 -artifact_prefix="$findings/")
  [ -f "fuzz/dicts/$t.dict" ] && args+=(-dict="fuzz/dicts/$t.dict")
  echo "fuzz: $t for ${seconds}s (${#regressions[@]} regression inputs replayed)"
  if "$bin" "${args[@]}" "$scratch" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo "fuzz: $t FOUND A PROBLEM:" >&2
    grep -E "^==[0-9]+==ERROR|SUMMARY|runtime error|fuzz: |ALARM|out-of-memory|deadly signal" "$log" | head -n 10 >&2 || true
    echo "fuzz: input: ${artifact:-see the log}; log: $log" >&2
    [ -n "$artifact" ] && echo "fuzz: replay: $bin $artifact" >&2
  fi
  done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -n 1 || true)
  [ -z "$done_line" ] && done_line=$(grep -E "^#[0-9]+[[:space:]]" "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
  eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)
  summary+=("$(printf '%-20s %-6s %10s %8s %6s %7s %6s' "$t" "$status" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
done

echo
printf '%-20s %-6s %10s %8s %6s %7s %6s\n' target status runs execs/s cov ft corpus
for line in "${summary[@]}"; do
  echo "$line"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/findings/<target>/; logs in $build/logs/)" >&2
  echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash, leak, timeout or sanitizer report"
echo "fuzz: ${#targets[@]} passed, 0 failed"
