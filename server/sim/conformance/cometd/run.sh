#!/usr/bin/env bash
# Builds the cometd_fixture example, starts it, runs the cometd npm client conformance test
# against it, and stops it. Usage: server/sim/conformance/cometd/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
token="conformance-$RANDOM$RANDOM"

cd "$root"
cargo build --release -p sim --examples
bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/cometd_fixture"

log="$(mktemp)"
SIM_PORT=0 SIM_TOKEN="$token" SIM_LONG_POLL_MS="${SIM_LONG_POLL_MS:-20000}" "$bin" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on //p' "$log")"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "fixture exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "fixture did not start" >&2; exit 1; }
echo "fixture at $url"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
SIM_URL="$url" SIM_TOKEN="$token" node --test --test-reporter=spec test.mjs
