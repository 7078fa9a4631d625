#!/usr/bin/env bash
# The committed OpenAPI document against the tools clients use: Redocly's
# recommended ruleset (errors fail; warnings are shown). Node from the
# system; Redocly's CLI from npm, pinned, run in a scratch directory so
# nothing lands in the repository.
#
#   REDOCLY_VERSION=X.Y.Z   the @redocly/cli version (default pinned below)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${REDOCLY_VERSION:-2.77.0}
spec="$PWD/openapi/openapi.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "== redocly $version lint --extends recommended"
npx --yes "@redocly/cli@$version" lint --extends recommended "$spec"
