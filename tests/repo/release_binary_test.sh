#!/bin/sh
# ctest repo.release_binary: scripts/release_binary.sh turns the built vigil into what is installed:
# stripped (no debug sections, no symbol table), its debug information in vigil.debug, found again
# through .gnu_debuglink, and the stripped binary still runs.
#   tests/repo/release_binary_test.sh BUILT_VIGIL SOURCE_DIR
set -u
built=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/scripts/release_binary.sh" "$built" "$out" || fail "release_binary.sh exited $?"
[ -x "$out/vigil" ] || fail "no $out/vigil"
[ -f "$out/vigil.debug" ] || fail "no $out/vigil.debug"
sections=$(readelf -S "$out/vigil")
echo "$sections" | grep -q '\.debug_info' && fail "the installed vigil still has .debug_info"
echo "$sections" | grep -q ' \.symtab' && fail "the installed vigil still has a symbol table"
readelf --string-dump=.gnu_debuglink "$out/vigil" | grep -q 'vigil\.debug' || fail "no .gnu_debuglink naming vigil.debug"
readelf -S "$out/vigil.debug" | grep -q '\.debug_info' || fail "vigil.debug has no .debug_info"
built_size=$(wc -c <"$built")
stripped_size=$(wc -c <"$out/vigil")
[ "$stripped_size" -lt $((built_size / 4)) ] || fail "stripped $stripped_size bytes is not under a quarter of $built_size"
[ "$("$out/vigil" version)" = "$("$built" version)" ] || fail "the stripped vigil's version differs"
if command -v gdb >/dev/null 2>&1; then
  gdb -q -batch -ex 'info line main' "$out/vigil" 2>&1 | grep -q 'main\.cpp' ||
    fail "gdb does not find main.cpp through vigil.debug"
fi
echo "ok: stripped $stripped_size bytes of $built_size; debug information in vigil.debug"
