#!/usr/bin/env bash
# ctest's browser test: the sandbox page in Debian's chromium (headless), driven by playwright-core.
# Usage: run.sh <path to the vigil binary>. Exits 77 (ctest: skipped) only when chromium or node
# cannot be found; `make test` runs `scripts/bootstrap.sh browser` first, which installs them.
# playwright-core comes from the npm registry (package-lock.json) on the first run; browsers are
# never downloaded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vigil=${1:?usage: run.sh VIGIL_BINARY}

chromium=${VIGIL_CHROMIUM:-}
if [ -z "$chromium" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$c" ]; then chromium=$c; break; fi
  done
fi
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "SKIPPED: chromium not found (install it with: sudo ./scripts/bootstrap.sh browser)"
  exit 77
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: node or npm not found (install them with: sudo ./scripts/bootstrap.sh browser)"
  exit 77
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
cd "$here"
if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "installing playwright-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
VIGIL_BINARY=$vigil VIGIL_CHROMIUM=$chromium exec node --test --test-reporter=spec sandbox.test.mjs
