#!/usr/bin/env bash
# Runs the README's recipes as written, against the fake APIs on 127.0.0.1:
#   test/e2e/readme.test.ts     the blocks README.md marks <!-- test-readme: ... --> (quick start, SQL,
#                               Node, the fake-API walk-through), in order, in a sandbox
#   test/e2e/readme-*.test.ts   the other recipes, each from the README's text (e.g. Meltano and Singer)
# They are part of `npm test` too; this runs only them (a few minutes instead of the whole suite).
# Port 8787 must be free: examples/config.json points there.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
exec npx vitest run test/e2e/readme
