#!/bin/sh
# Makes the installable vigil from a built one: the debug information goes to a file of its own
# (vigil.debug, for gdb and crash reports), the binary is stripped and names that file in its
# .gnu_debuglink section, so `gdb vigil` with vigil.debug beside it (or in /usr/lib/debug) still
# shows symbols and lines.
#   scripts/release_binary.sh BUILT_VIGIL OUT_DIR
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILT_VIGIL OUT_DIR" >&2
  exit 2
fi
built=$1
out=$2
if [ ! -x "$built" ]; then
  echo "$0: $built: not an executable (build it first: make build)" >&2
  exit 1
fi
for tool in objcopy readelf; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool not found (Debian package binutils)" >&2; exit 1; }
done
mkdir -p "$out"
built=$(cd "$(dirname "$built")" && pwd)/$(basename "$built")
rm -f "$out/vigil" "$out/vigil.debug"
objcopy --only-keep-debug --compress-debug-sections=zlib "$built" "$out/vigil.debug"
# --add-gnu-debuglink records the debug file's name and CRC; gdb looks beside the binary, in a
# .debug folder there, and under /usr/lib/debug.
(cd "$out" && objcopy --strip-debug --strip-unneeded --add-gnu-debuglink=vigil.debug "$built" vigil)
chmod 0755 "$out/vigil"
chmod 0644 "$out/vigil.debug"
if readelf -S "$out/vigil" | grep -q '\.debug_info'; then
  echo "$0: $out/vigil still has debug information" >&2
  exit 1
fi
size_of() { wc -c <"$1" | tr -d ' '; }
echo "vigil: $(size_of "$built") bytes built, $(size_of "$out/vigil") stripped ($out/vigil), debug information $(size_of "$out/vigil.debug") bytes ($out/vigil.debug)"
