#!/usr/bin/env bash
# Installs the Debian 12 packages Vigil needs to build, test and run. Idempotent: silent when
# everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  nlohmann-json3-dev libyaml-cpp-dev libsqlitecpp-dev libsqlite3-dev
  googletest libgmock-dev libgtest-dev
  libboost1.81-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libpq-dev
  bubblewrap
)

# Extra groups: `bootstrap.sh browser` adds what the browser test needs; `peers` the real programs
# the suite runs Vigil against (Prometheus' promtool, Alertmanager and amtool, PostgreSQL's server
# for the store suite, started by the tests themselves as an unprivileged user); `clang` (or `fuzz`)
# the second compiler, for the sanitizer build and the fuzzers; `format` clang-format, for the
# formatting check; `agents` the three agent CLIs (npm, pinned below) whose --help the argv test
# reads, installed outside the repository in $VIGIL_AGENT_CLIS_DIR (default /opt/vigil/agent-clis as
# root, ${XDG_CACHE_HOME:-~/.cache}/vigil/agent-clis otherwise).
agent_clis=()
for extra in "$@"; do
  case "$extra" in
    browser)
      packages+=(chromium)
      # A node from elsewhere (e.g. NodeSource's, which bundles npm and conflicts with Debian's
      # npm package) is kept: Debian's nodejs and npm only where there is no node or npm at all.
      command -v node >/dev/null 2>&1 || packages+=(nodejs)
      command -v npm >/dev/null 2>&1 || packages+=(npm)
      ;;
    fuzz | clang) packages+=(clang libclang-rt-14-dev) ;;
    peers) packages+=(prometheus prometheus-alertmanager postgresql) ;;
    format) packages+=(clang-format) ;;
    agents)
      command -v node >/dev/null 2>&1 || packages+=(nodejs)
      command -v npm >/dev/null 2>&1 || packages+=(npm)
      # The versions the argv test was written against; bump together with agent_cli.cpp.
      agent_clis=(@anthropic-ai/claude-code@2.1.332 @openai/codex@0.171.0 @google/gemini-cli@0.61.0)
      ;;
    *) echo "bootstrap: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The agent CLIs: one `npm install` into their own folder, skipped when those versions are there.
install_agent_clis() {
  [ ${#agent_clis[@]} -eq 0 ] && return 0
  local dir="${VIGIL_AGENT_CLIS_DIR:-}"
  if [ -z "$dir" ]; then
    if [ "$(id -u)" -eq 0 ]; then dir=/opt/vigil/agent-clis; else dir="${XDG_CACHE_HOME:-$HOME/.cache}/vigil/agent-clis"; fi
  fi
  local wanted="${agent_clis[*]}"
  [ -f "$dir/.vigil-installed" ] && [ "$(cat "$dir/.vigil-installed")" = "$wanted" ] && return 0
  mkdir -p "$dir"
  echo "bootstrap: installing the agent CLIs into $dir" >&2
  local log
  log=$(mktemp)
  if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${agent_clis[@]}" >"$log" 2>&1; then
    echo "bootstrap: npm install of the agent CLIs failed:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  echo "$wanted" >"$dir/.vigil-installed"
}

if [ ${#missing[@]} -eq 0 ]; then
  install_agent_clis
  exit $?
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "bootstrap: missing packages: ${missing[*]}" >&2
    echo "bootstrap: run as root (or install sudo) so they can be installed with apt-get" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! $SUDO apt-get update -q >"$log" 2>&1; then
  echo "bootstrap: apt-get update failed:" >&2
  tail -n 20 "$log" >&2
  rm -f "$log"
  exit 1
fi
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  echo "bootstrap: apt-get install failed for: ${missing[*]}" >&2
  tail -n 20 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
install_agent_clis
