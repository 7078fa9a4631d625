#!/usr/bin/env bash
# The pre-commit hook as a user installs it: `pre-commit try-repo` builds
# upcheck from this repository's HEAD with cargo (language: rust) and runs
# it on a copy of the fixed seed example, which must pass; then on the
# failing seed, where the hook must fail.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$repo/.venv/bin/pre-commit" ]; then
  [ -x "$repo/.venv/bin/python" ] || python3 -m venv "$repo/.venv"
  "$repo/.venv/bin/pip" install -q --disable-pip-version-check pre-commit==4.7.0
fi
pc="$repo/.venv/bin/pre-commit"
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$(mktemp -d)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pre-commit's `cargo install` builds in a fresh temporary directory each
# time; one shared target directory makes the second try-repo a relink.
export CARGO_TARGET_DIR="$work/cargo-target"

run_on() {
  rm -rf "$work/project"
  cp -r "$repo/examples/$1" "$work/project"
  cd "$work/project"
  git init -q
  git add .
  git -c user.name=ci -c user.email=ci@localhost commit -qm "$1"
  "$pc" try-repo "$repo" upcheck --all-files > "$work/out.txt" 2>&1
}

run_on seed-compose-fixed || { cat "$work/out.txt"; exit 1; }
grep -q "Passed" "$work/out.txt"
if run_on seed-compose; then
  cat "$work/out.txt"
  echo "the hook passed the failing seed" >&2
  exit 1
fi
# It failed for the seed's reason, not because it could not be built.
grep -q "error\[UC2001\]" "$work/out.txt" || { cat "$work/out.txt"; exit 1; }
echo "pre-commit: the hook passes the fixed seed and fails the seed (UC2001)"
