#!/usr/bin/env bash
# `make run`: starts Vigil. With SLACK_APP_TOKEN and SLACK_BOT_TOKEN set it serves your Slack
# workspace; without them `vigil serve` starts the built-in sandbox: an in-process Slack emulator,
# a DEMO cluster (deploy/sandbox/) and a page on http://127.0.0.1:8080 (VIGIL_SANDBOX_ADDR to
# change it), whose address it prints. State (database, workspaces, the demo cluster's state)
# goes to .vigil/ unless VIGIL_STATE_DIR, VIGIL_DB or VIGIL_WORKSPACE_ROOT say otherwise.
set -euo pipefail
build_dir=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state_dir=${VIGIL_STATE_DIR:-$root/.vigil}
mkdir -p "$state_dir/workspaces"
chmod 700 "$state_dir" "$state_dir/workspaces"
export VIGIL_DB=${VIGIL_DB:-$state_dir/vigil.db}
export VIGIL_WORKSPACE_ROOT=${VIGIL_WORKSPACE_ROOT:-$state_dir/workspaces}
config=${VIGIL_CONFIG:-$root/deploy/config.example.yaml}
exec "$build_dir/vigil" --config "$config" serve
