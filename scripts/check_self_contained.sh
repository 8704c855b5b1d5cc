#!/usr/bin/env bash
# Fails when the repository refers to a path outside itself, so that a clone with nothing beside it
# builds, tests and reads the same as the developer's checkout. Run by `make test` (ctest
# repo.self_contained); `--self-test` plants each kind of violation in a scratch repository and
# fails unless every one is caught.
#
# Usage: check_self_contained.sh [ROOT]      (default: the repository holding this script)
#        check_self_contained.sh --self-test
#
# What counts as referring outside:
#   1. the developers' reference folder beside the checkout (dot-dot, slash, "shared") anywhere;
#   2. an absolute path into a developer's machine (under /root, /home/<someone> or the sessions'
#      /work folder) in a build file, script, test or document;
#   3. a relative path with ../ in a build file or script that climbs above the repository root;
#   4. a Markdown link to a relative path that climbs above the root or names no file.
# Captured data (tests/fixtures/, fuzz corpora and regressions) is exempt: third-party payloads may
# hold their authors' paths, and they are data, not references.
set -uo pipefail

self_test() {
  local scratch rc=0
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  plant() {  # plant NAME FILE CONTENT: a clean repository plus one violation must fail
    local repo="$scratch/$1"
    mkdir -p "$repo/docs" "$repo/scripts"
    printf 'see [design](docs/design.md)\n' >"$repo/README.md"
    printf '# design\n' >"$repo/docs/design.md"
    printf 'add_subdirectory(src)\n' >"$repo/CMakeLists.txt"
    if [ -n "$2" ]; then
      mkdir -p "$(dirname "$repo/$2")"
      printf '%s\n' "$3" >>"$repo/$2"
    fi
    git -C "$repo" init -q && git -C "$repo" add -A
  }
  local sibling="../shar""ed"
  plant clean "" ""
  plant sibling tests/CMakeLists.txt "set(FIXTURES \${PROJECT_SOURCE_DIR}/$sibling/fixtures)"
  plant absolute scripts/run.sh "cp /wor""k/main/x ."
  plant climbing CMakeLists.txt 'include(${CMAKE_CURRENT_SOURCE_DIR}/../''../cmake/x.cmake)'
  plant link_out README.md "[notes](../notes.md)"
  plant link_missing docs/design.md "[structure](structure.md)"
  if ! "$0" "$scratch/clean" >/dev/null; then
    echo "self-test: a clean repository was refused" >&2
    rc=1
  fi
  for name in sibling absolute climbing link_out link_missing; do
    if "$0" "$scratch/$name" >/dev/null 2>&1; then
      echo "self-test: the planted '$name' violation was not caught" >&2
      rc=1
    fi
  done
  [ $rc -eq 0 ] && echo "self-test: a clean repository passes; 5 planted violations fail"
  return $rc
}

if [ "${1:-}" = "--self-test" ]; then
  self_test
  exit $?
fi

root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root" || exit 2

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else
  mapfile -t files < <(find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||')
fi

problems=()
sibling='\.\./shar''ed'
machine='(^|[^A-Za-z0-9_.])/(wor''k|root|home/[a-z][a-z0-9_-]*)/'
code=()      # build files, scripts, tests, documents: everything but captured data
scripts=()   # build files and scripts, checked for ../ that climbs out
markdown=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in
    build/* | build-*/*) continue ;;
  esac
  # 1. the reference folder beside the checkout, anywhere but captured data
  case "$f" in
    tests/fixtures/* | fuzz/corpus/* | fuzz/regressions/* | *.png | *.ico) continue ;;
  esac
  code+=("$f")
  case "$f" in
    CMakeLists.txt | */CMakeLists.txt | *.cmake | Makefile | *.sh | .ci/* | scripts/*) scripts+=("$f") ;;
    *.md) markdown+=("$f") ;;
  esac
done

# 1 and 2, one grep over all of them.
if [ ${#code[@]} -gt 0 ]; then
  while IFS= read -r hit; do
    problems+=("${hit%%:*}:$(cut -d: -f2 <<<"$hit"): refers to the folder beside the checkout")
  done < <(printf '%s\0' "${code[@]}" | xargs -0 grep -nHE "$sibling" 2>/dev/null)
  while IFS= read -r hit; do
    problems+=("${hit%%:*}:$(cut -d: -f2 <<<"$hit"): an absolute path on a developer's machine")
  done < <(printf '%s\0' "${code[@]}" | xargs -0 grep -nHE "$machine" 2>/dev/null)
fi

# 3. build files and scripts that climb out
for f in "${scripts[@]}"; do
  dir=$(dirname "$f")
  while IFS= read -r hit; do
    lineno=${hit%%:*}
    for rel in $(printf '%s\n' "${hit#*:}" | grep -oE '(\.\./)+[A-Za-z0-9_./-]*'); do
      base=$dir
      case "${hit#*:}" in *CMAKE_CURRENT_SOURCE_DIR* | *'$(dirname "$0")'* | *'dirname "$0"'*) ;; *PROJECT_SOURCE_DIR* | *CMAKE_SOURCE_DIR*) base=. ;; esac
      resolved=$(realpath -m --relative-to="$root" "$root/$base/$rel")
      case "$resolved" in ..*) problems+=("$f:$lineno: '$rel' climbs out of the repository") ;; esac
    done
  done < <(grep -nE '\.\./' "$f" 2>/dev/null)
done

# 4. Markdown links
for f in "${markdown[@]}"; do
  dir=$(dirname "$f")
  while IFS= read -r hit; do
    lineno=${hit%%:*}
    while IFS= read -r target; do
      target=${target#](}
      target=${target%)}
      target=${target%%#*}
      target=${target%% *}
      case "$target" in '' | http:* | https:* | mailto:* | /*) continue ;; esac
      resolved=$(realpath -m --relative-to="$root" "$root/$dir/$target")
      case "$resolved" in
        ..*) problems+=("$f:$lineno: link '$target' points outside the repository") ;;
        *) [ -e "$root/$resolved" ] || problems+=("$f:$lineno: link '$target' names no file") ;;
      esac
    done < <(printf '%s\n' "${hit#*:}" | sed 's/`[^`]*`//g' | grep -oE '\]\([^][(){} ]+\)')
  done < <(grep -nE '\]\([^)]+\)' "$f" 2>/dev/null)
done

if [ ${#problems[@]} -gt 0 ]; then
  echo "The repository refers to paths outside itself (a clone with nothing beside it would break):" >&2
  printf '  %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "self-contained: ${#files[@]} files checked, nothing refers outside the repository"
