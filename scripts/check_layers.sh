#!/usr/bin/env bash
# Fails when a source file includes a header from a layer above its own, so that includes go one
# way only (docs/structure.md):
#
#   bot/base ← integrations ← skills ← bot/store ← bot/core ← bot/slack, bot/ops ← handlers
#            ← bot/app ← bot/cli
#
# Each folder may include its own headers and those of the layers below it; bot/slack and bot/ops
# are siblings and include neither each other. The Slack emulator (integrations/slack/emulator/) is
# a stand-in for Slack, not part of the product: only the sandbox mode (bot/app/), tests and
# benchmarks may include it. tests/, bench/ and fuzz/ may include anything.
# Run by `make test` (ctest repo.layers); `--self-test` plants each kind of violation in a scratch
# tree and fails unless every one is caught.
#
# Usage: check_layers.sh [ROOT]      (default: the repository holding this script)
#        check_layers.sh --self-test
set -uo pipefail

# The include prefixes each folder may use, lowest layer first. A file belongs to the first folder
# in this list whose prefix its path starts with.
layer_rules() {
  local base="bot/base/"
  local integ="$base integrations/"
  local skills="$integ skills/"
  local store="$skills bot/store/"
  local core="$store bot/core/"
  local handlers="$core bot/slack/ bot/ops/ handlers/"
  cat <<EOF
bot/base/ $base
integrations/slack/emulator/ $integ
integrations/ $integ
skills/ $skills
bot/store/ $store
bot/core/ $core
bot/slack/ $core bot/slack/
bot/ops/ $core bot/ops/
handlers/ $handlers
bot/app/ $handlers bot/app/ integrations/slack/emulator/
bot/cli/ $handlers bot/app/ bot/cli/
EOF
}

check_tree() {
  local root=$1 rules problems=0
  rules=$(layer_rules)
  cd "$root" || return 2
  local files
  mapfile -t files < <(find bot skills handlers integrations -type f \( -name '*.h' -o -name '*.cpp' \) 2>/dev/null | sort)
  for f in "${files[@]}"; do
    local folder="" allowed=""
    while read -r prefix rest; do
      if [[ $f == "$prefix"* ]]; then
        folder=$prefix
        allowed=$rest
        break
      fi
    done <<<"$rules"
    if [ -z "$folder" ]; then
      echo "$f: not in any layer of scripts/check_layers.sh (add its folder there)"
      problems=$((problems + 1))
      continue
    fi
    local line=0 text
    while IFS= read -r text; do
      line=$((line + 1))
      [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
      local target=${BASH_REMATCH[1]} ok=0 p
      # The emulator is only for bot/app/ (the sandbox), even though integrations/ is allowed.
      if [[ $target == integrations/slack/emulator/* && $folder != bot/app/ && $folder != integrations/slack/emulator/ ]]; then
        ok=0
      elif [[ $target != */* ]]; then
        ok=1  # a header beside the file ("x.h")
      else
        for p in $allowed; do
          if [[ $target == "$p"* ]]; then
            ok=1
            break
          fi
        done
      fi
      if [ $ok -eq 0 ]; then
        echo "$f:$line: ${folder%/} may not include \"$target\" (allowed: $allowed)"
        problems=$((problems + 1))
      fi
    done <"$f"
  done
  if [ $problems -gt 0 ]; then
    echo "check_layers: $problems include(s) against the layer order (see docs/structure.md)" >&2
    return 1
  fi
  echo "check_layers: ${#files[@]} files, every include goes down the layers"
  return 0
}

self_test() {
  local scratch rc=0
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  plant() {  # plant NAME FILE INCLUDE: a clean tree plus one violation
    local tree="$scratch/$1"
    mkdir -p "$tree/bot/base" "$tree/bot/store" "$tree/bot/core" "$tree/skills" "$tree/handlers" "$tree/bot/app" \
      "$tree/bot/cli" "$tree/integrations/slack/emulator"
    printf '#pragma once\n' >"$tree/bot/base/error.h"
    printf '#include "bot/base/error.h"\n' >"$tree/skills/skill.h"
    printf '#include "skills/skill.h"\n#include "bot/base/error.h"\n' >"$tree/bot/store/store.h"
    printf '#include "bot/store/store.h"\n#include <vector>\n' >"$tree/bot/core/run_manager.h"
    printf '#include "bot/core/run_manager.h"\n' >"$tree/handlers/handler.h"
    printf '#include "handlers/handler.h"\n#include "integrations/slack/emulator/slack_emulator.h"\n' \
      >"$tree/bot/app/sandbox.cpp"
    printf '#include "bot/app/sandbox.h"\n' >"$tree/bot/cli/cli.cpp"
    printf '#pragma once\n' >"$tree/integrations/slack/emulator/slack_emulator.h"
    if [ -n "$2" ]; then
      mkdir -p "$(dirname "$tree/$2")"
      printf '#include "%s"\n' "$3" >>"$tree/$2"
    fi
  }
  plant clean "" ""
  plant skills_into_store skills/step_executor.cpp "bot/store/store.h"
  plant store_into_core bot/store/store.cpp "bot/core/run_manager.h"
  plant handlers_into_app handlers/handler_context.h "bot/app/app.h"
  plant app_into_cli bot/app/app.cpp "bot/cli/cli.h"
  plant slack_into_ops bot/slack/gate.cpp "bot/ops/webhook_auth.h"
  plant base_into_integrations bot/base/clock.h "integrations/http/url.h"
  plant core_uses_emulator bot/core/run_manager.cpp "integrations/slack/emulator/slack_emulator.h"
  plant unknown_folder bot/misc/thing.cpp "bot/base/error.h"
  if ! (check_tree "$scratch/clean" >/dev/null); then
    echo "self-test: a clean tree was refused:" >&2
    (check_tree "$scratch/clean") >&2
    rc=1
  fi
  local caught=0 name
  for name in skills_into_store store_into_core handlers_into_app app_into_cli slack_into_ops base_into_integrations \
    core_uses_emulator unknown_folder; do
    if (check_tree "$scratch/$name" >/dev/null 2>&1); then
      echo "self-test: the planted '$name' violation was not caught" >&2
      rc=1
    else
      caught=$((caught + 1))
    fi
  done
  [ $rc -eq 0 ] && echo "self-test: a clean tree passes; $caught planted violations fail"
  return $rc
}

if [ "${1:-}" = "--self-test" ]; then
  self_test
  exit $?
fi
check_tree "$(cd "${1:-$(dirname "$0")/..}" && pwd)"
