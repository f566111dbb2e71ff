#!/usr/bin/env bash
# Fresh-machine test: the README's two set-up commands, `npm ci` then `npm test`, in a container from
# node:22-bookworm-slim with nothing else installed (no apt package, no browser, no git), on a clone
# of this repository's HEAD (committed work only), as the image's unprivileged user `node`. Proves
# that a newcomer with only Node needs nothing else (the report test's Chromium comes from npm).
# Beside the clone, as CI lays it out, a copy of ../shared: the tests validate every message against
# ../shared/specs (the Airbyte protocol and Singer schemas), which the repository does not hold.
#
# usage: scripts/test-fresh.sh [NODE_MAJOR]   (default 22; 20 runs the same on node:20-bookworm-slim)
# Uses docker when it has an engine (docker info), else podman; installs podman and a local
# node:<major>-bookworm-slim base image with ../shared/tools/container-env.sh when neither is ready,
# as scripts/test-image.sh does. The container shares the host's network (--network host) to reach
# the npm registry (the local image trusts the host's CA bundle); the tests' fake APIs listen on
# 127.0.0.1 ports the OS picks. Takes about as long as `npm ci && npm test` on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
NODE_MAJOR="${1:-22}"
BASE_IMAGE="docker.io/library/node:${NODE_MAJOR}-bookworm-slim"

if docker info >/dev/null 2>&1; then
  ENGINE=docker
else
  if ! command -v podman >/dev/null 2>&1 || ! podman image exists "$BASE_IMAGE" 2>/dev/null; then
    echo "test-fresh: no docker engine; preparing podman and $BASE_IMAGE (../shared/tools/container-env.sh)"
    bash ../shared/tools/container-env.sh "$NODE_MAJOR"
  fi
  ENGINE=podman
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
git clone --quiet --no-hardlinks "$ROOT" "$WORK/repo"
rm -rf "$WORK/repo/.git/hooks"
[ -d ../shared/specs ] || { echo "test-fresh: ../shared/specs is missing (the tests read the protocol schemas there)"; exit 1; }
cp -R ../shared "$WORK/shared"
echo "test-fresh: $ENGINE, $BASE_IMAGE, clone of $(git -C "$WORK/repo" log -1 --format='%h (%s)' | cut -c1-90)"

start=$SECONDS
code=0
# The clone and shared/ go in through stdin (tar), so the container owns its copy and writes as `node`.
tar -C "$WORK" -c repo shared | "$ENGINE" run --rm -i --network host --user node --workdir /home/node "$BASE_IMAGE" bash -c '
  set -euo pipefail
  tar -x -C /home/node
  cd /home/node/repo
  . /etc/os-release
  echo "test-fresh: in the container: $PRETTY_NAME, node $(node --version), npm $(npm --version), user $(id -un)"
  for lib in libnss3.so libnspr4.so; do
    if /sbin/ldconfig -p | grep -q "$lib"; then echo "test-fresh: $lib is installed in the image"; else echo "test-fresh: $lib is not installed in the image"; fi
  done
  if command -v chromium >/dev/null || command -v google-chrome >/dev/null; then echo "test-fresh: the image has a browser installed"; fi
  echo "test-fresh: \$ npm ci"
  npm ci
  echo "test-fresh: \$ npm test"
  npm test
' || code=$?
if [ "$code" -ne 0 ]; then
  echo "test-fresh: FAILED (exit $code) after $((SECONDS - start)) s"
  exit "$code"
fi
echo "test-fresh: passed: npm ci and npm test in $BASE_IMAGE in $((SECONDS - start)) s"
