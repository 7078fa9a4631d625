#!/usr/bin/env bash
# Rebuilds ../vendor/codemirror.js from the pinned packages (package-lock.json).
# Needs node and npm; upcheck itself never does (the bundle is committed).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent
node build.mjs
