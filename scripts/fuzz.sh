#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted input (libFuzzer with ASan and UBSan, clang).
#
# Builds every fuzz/fuzz_<target>.cpp in build-fuzz, then for each target:
#   1. replays fuzz/regressions/<target>/* (inputs that once crashed: each must pass now);
#   2. fuzzes for FUZZ_SECONDS seconds from a scratch copy of fuzz/corpus/<target>, with
#      fuzz/dicts/<target>.dict when there is one;
#   3. with FUZZ_KEEP_CORPUS=1, merges what it found back into fuzz/corpus/<target> (libFuzzer's
#      -merge=1 keeps only inputs that add coverage), so the next run starts where this one ended;
#      otherwise the repository's corpus is never written;
#   4. prints its figures (runs, execs/s, coverage edges, features, corpus size).
# A crash, leak, timeout or sanitizer report fails the run; the input is kept in
# build-fuzz/findings/<target>/ and the command that replays it is printed.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_TARGETS (space-separated names without the fuzz_
# prefix; default all), FUZZ_MAX_LEN (longest input tried, default 16384), FUZZ_BUILD_DIR
# (default build-fuzz), JOBS (build parallelism), FUZZ_PARALLEL (targets fuzzed at once, default 1),
# FUZZ_KEEP_CORPUS (1: merge new inputs into fuzz/corpus/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-16384}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
parallel=${FUZZ_PARALLEL:-1}
keep_corpus=${FUZZ_KEEP_CORPUS:-0}

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

# One target: replay its regressions, fuzz, keep its corpus when asked; its summary line goes to
# $build/results/<target> ("ok …" or "FAILED …"), its messages to stderr.
fuzz_one() {
  local t=$1
  local bin="$build/fuzz/fuzz_$t"
  local findings="$root/$build/findings/$t"
  local scratch="$root/$build/scratch/$t"
  local log="$root/$build/logs/$t.log"
  local result="$root/$build/results/$t"
  rm -rf "$scratch"
  mkdir -p "$findings" "$scratch" "$(dirname "$log")" "$(dirname "$result")"
  [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$scratch/"

  # Inputs that once crashed must pass, every run.
  local regressions
  shopt -s nullglob
  regressions=(fuzz/regressions/"$t"/*)
  shopt -u nullglob
  if [ ${#regressions[@]} -gt 0 ]; then
    if ! "$bin" -rss_limit_mb=4096 -timeout=30 "${regressions[@]}" >"$log.replay" 2>&1; then
      echo "fuzz: $t: a saved regression input fails again:" >&2
      grep -E "Running:|ERROR|SUMMARY|runtime error|fuzz:" "$log.replay" | tail -n 20 >&2 || tail -n 40 "$log.replay" >&2
      echo "fuzz: full log: $log.replay" >&2
      printf '%-20s %-6s %10s %8s %6s %7s %6s\n' "$t" FAILED regression - - - - >"$result"
      return
    fi
  fi

  local args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096
              -print_final_stats=1 -artifact_prefix="$findings/")
  [ -f "fuzz/dicts/$t.dict" ] && args+=(-dict="fuzz/dicts/$t.dict")
  echo "fuzz: $t for ${seconds}s (${#regressions[@]} regression inputs replayed)"
  local status
  if "$bin" "${args[@]}" "$scratch" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    local artifact
    artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo "fuzz: $t FOUND A PROBLEM:" >&2
    grep -E "^==[0-9]+==ERROR|SUMMARY|runtime error|fuzz: |ALARM|out-of-memory|deadly signal" "$log" | head -n 10 >&2 || true
    echo "fuzz: input: ${artifact:-see the log}; log: $log" >&2
    [ -n "$artifact" ] && echo "fuzz: replay: $bin $artifact" >&2
  fi
  if [ "$status" = ok ] && [ "$keep_corpus" = 1 ]; then
    mkdir -p "fuzz/corpus/$t"
    "$bin" -merge=1 -max_len="$max_len" -rss_limit_mb=4096 "fuzz/corpus/$t" "$scratch" >"$log.merge" 2>&1 ||
      echo "fuzz: $t: merging the corpus failed (log: $log.merge)" >&2
  fi
  local done_line cov ft corp runs eps
  done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -n 1 || true)
  [ -z "$done_line" ] && done_line=$(grep -E "^#[0-9]+[[:space:]]" "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
  eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)
  printf '%-20s %-6s %10s %8s %6s %7s %6s\n' "$t" "$status" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" >"$result"
}

for t in "${targets[@]}"; do
  if [ ! -x "$build/fuzz/fuzz_$t" ]; then
    echo "fuzz: no target '$t' (fuzz/fuzz_$t.cpp)" >&2
    exit 2
  fi
done
rm -rf "$build/results"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

failed=()
summary=()
for t in "${targets[@]}"; do
  line=$(cat "$build/results/$t" 2>/dev/null || printf '%-20s %-6s\n' "$t" FAILED)
  summary+=("$line")
  case "$line" in *FAILED*) failed+=("$t") ;; esac
done

echo
printf '%-20s %-6s %10s %8s %6s %7s %6s\n' target status runs execs/s cov ft corpus
for line in "${summary[@]}"; do
  printf '%s\n' "$line"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/findings/<target>/; logs in $build/logs/)" >&2
  echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash, leak, timeout or sanitizer report"
echo "fuzz: ${#targets[@]} passed, 0 failed"
