#!/usr/bin/env bash
# Image smoke test: builds each connector's image from the one Dockerfile and runs it the way
# Airbyte does, against the fake provider API running on this host (--network host):
#   image config (labels = metadata.yaml, AIRBYTE_ENTRYPOINT = ENTRYPOINT, user node),
#   spec (no mounts), check, discover, a short read, a read with an invalid catalog (TRACE ERROR,
#   exit != 0), Singer --discover and sync, and `sync` into DuckDB, which is not in the image (one
#   line saying how to install it, exit 2). Every stdout line is validated against
#   ../shared/specs/airbyte_protocol.json, exit codes are asserted, and no secret may be printed.
#
# usage: scripts/test-image.sh [CONNECTOR...]   (default: every connector of the registry, connector/connectors.ts,
# as package.json "bin" lists them: generated from it, and a test keeps them equal)
# Uses docker when it has an engine (docker info), else podman; installs podman and a local
# node:22-bookworm-slim base image with ../shared/tools/container-env.sh when neither is ready.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSION="$(node -p "require('./package.json').version")"
BASE_IMAGE="docker.io/library/node:22-bookworm-slim"

if [ ! -x node_modules/.bin/tsx ]; then
  echo "test-image: installing dev dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
fi
TSX="$ROOT/node_modules/.bin/tsx"

if docker info >/dev/null 2>&1; then
  ENGINE=docker
  BUILD=(docker build)
else
  if ! command -v podman >/dev/null 2>&1 || ! podman image exists "$BASE_IMAGE" 2>/dev/null; then
    echo "test-image: no docker engine; preparing podman and $BASE_IMAGE (../shared/tools/container-env.sh)"
    bash ../shared/tools/container-env.sh
  fi
  ENGINE=podman
  BUILD=(podman build --pull=never --network=host)
fi

if [ "$#" -gt 0 ]; then
  CONNECTORS=("$@")
else
  mapfile -t CONNECTORS < <(node -p "Object.keys(require('./package.json').bin).join('\\n')")
fi
echo "test-image: $ENGINE, version $VERSION, connectors: ${CONNECTORS[*]}"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

check() { "$TSX" test/image/check-output.ts "$@"; }

# run KIND IMAGE ARGS...: the container's stdout/stderr into $DIR/KIND.{out,err}, then the checks.
run() {
  local kind="$1" image="$2"; shift 2
  local code=0
  "$ENGINE" run --rm --network host -v "$DIR:/data:ro" "$image" "$@" >"$DIR/$kind.out" 2>"$DIR/$kind.err" || code=$?
  check "$kind" "$DIR" "$code"
}

for CONNECTOR in "${CONNECTORS[@]}"; do
  IMAGE="$CONNECTOR"
  echo "== $CONNECTOR"
  start=$SECONDS
  "${BUILD[@]}" --build-arg CONNECTOR="$CONNECTOR" --build-arg VERSION="$VERSION" \
    -t "ai-spend/$CONNECTOR:$VERSION" -t "$IMAGE" . >"$WORK/build-$CONNECTOR.log" 2>&1 \
    || { tail -40 "$WORK/build-$CONNECTOR.log"; echo "FAIL build $CONNECTOR"; exit 1; }
  echo "ok   built ai-spend/$CONNECTOR:$VERSION in $((SECONDS - start)) s, $("$ENGINE" image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
  "$ENGINE" image inspect "$IMAGE" --format '{{json .Config}}' >"$WORK/config-$CONNECTOR.json"
  check image "$WORK/config-$CONNECTOR.json" "$CONNECTOR"

  DIR="$WORK/$CONNECTOR"
  "$TSX" test/image/serve.ts "$CONNECTOR" "$DIR" 2>"$WORK/serve-$CONNECTOR.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do [ -f "$DIR/ready" ] && break; sleep 0.2; done
  [ -f "$DIR/ready" ] || { cat "$WORK/serve-$CONNECTOR.log"; echo "FAIL fake API for $CONNECTOR did not start"; exit 1; }

  # spec with no mounts and no network, as `docker run --rm IMAGE spec`
  code=0; "$ENGINE" run --rm "$IMAGE" spec >"$DIR/spec.out" 2>"$DIR/spec.err" || code=$?
  check spec "$DIR" "$code"
  run check "$IMAGE" check --config /data/config.json
  run discover "$IMAGE" discover --config /data/config.json
  run read "$IMAGE" read --config /data/config.json --catalog /data/catalog.json
  run read-fail "$IMAGE" read --config /data/config.json --catalog /data/bad-catalog.json
  run singer-discover "$IMAGE" --config /data/config.json --discover
  run singer-sync "$IMAGE" --config /data/config.json
  run sync "$IMAGE" sync --config /data/config.json --db /tmp/costs.duckdb

  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  echo "ok   $CONNECTOR image in $((SECONDS - start)) s"
done
echo "test-image: all passed"
