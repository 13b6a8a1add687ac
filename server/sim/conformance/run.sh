#!/usr/bin/env bash
# Conformance with real Salesforce clients against the full simulator, `orgsync sim --tls`:
#   1. simple-salesforce (Python; pinned in simple_salesforce/requirements.txt) under pytest,
#   2. the cometd npm client with a Salesforce-style replay extension (cometd/test.mjs).
# One simulator on a free port serves both; it is stopped on exit, whatever happens.
#
# Usage: server/sim/conformance/run.sh [path/to/orgsync]   (default: target/release/orgsync)
# Needs python3 with venv (Debian: python3-venv), node and npm, curl. Exits non-zero on any
# failure or missing tool. The Python packages go into target/tools/conformance-venv (made
# again when requirements.txt changes); the npm packages into cometd/node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${1:-$root/target/release/orgsync}"
contacts=4500 # more than two 2,000-record batches

fail() {
  printf '\nconformance FAILED: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n=== conformance: %s\n' "$*"; }

[ -x "$bin" ] || fail "$bin is missing: build it first (cargo xtask build)"
for tool in python3 node npm curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
python3 -c 'import venv, ensurepip' 2>/dev/null ||
  fail "python3 cannot create virtual environments: install Debian's python3-venv"

step "Python packages (simple-salesforce, pytest) in target/tools/conformance-venv"
venv="$root/target/tools/conformance-venv"
requirements="$here/simple_salesforce/requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv $venv failed"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" ||
    fail "pip install -r $requirements failed"
  cp "$requirements" "$venv/requirements.txt"
fi
"$venv/bin/python" -c 'import simple_salesforce, pytest' || fail "the venv lacks simple-salesforce or pytest"

step "npm packages (cometd)"
(cd "$here/cometd" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $here/cometd failed"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="https://127.0.0.1:$port"
step "orgsync sim --tls on $url ($contacts Contacts)"
RUST_LOG=warn "$bin" sim --tls --listen "127.0.0.1:$port" --contacts "$contacts" --leads 200 --seed 7 \
  >"$work/sim.log" 2>&1 &
pid=$!
# The certificate is fetched once without verification (it is what the clients then trust).
for _ in $(seq 1 300); do
  curl -skf -o "$work/sim.pem" "$url/__sim/certificate" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || {
    cat "$work/sim.log" >&2
    fail "orgsync sim exited"
  }
  sleep 0.1
done
grep -q "BEGIN CERTIFICATE" "$work/sim.pem" 2>/dev/null || {
  cat "$work/sim.log" >&2
  fail "orgsync sim did not answer on $url within 30 s"
}
pem="$work/sim.pem"
curl -sf --cacert "$pem" -o /dev/null "$url/services/data" ||
  fail "the certificate from /__sim/certificate does not verify $url"

step "simple-salesforce (pytest)"
SIM_URL="$url" SIM_CONTACTS="$contacts" REQUESTS_CA_BUNDLE="$pem" \
  "$venv/bin/python" -m pytest -v -p no:cacheprovider "$here/simple_salesforce" ||
  fail "the simple-salesforce suite failed"

step "cometd npm client (node --test)"
# A fresh token: the Python suite expired every access token.
token="$(curl -sf --cacert "$pem" "$url/services/oauth2/token" \
  -d grant_type=password -d client_id=3MVG9orgsyncSIMULATORconnectedAppConsumerKey0000000000000000000000000000000 \
  -d client_secret=ORGSYNC5IMULAT0R5ECRET -d username=admin@orgsync-sim.example -d password=sim-password-0 |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')" ||
  fail "no access token from the password grant"
record="$(curl -sf --cacert "$pem" -H "Authorization: Bearer $token" --get \
  --data-urlencode "q=SELECT Id FROM Contact ORDER BY Id LIMIT 1" "$url/services/data/v62.0/query" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["records"][0]["Id"])')" ||
  fail "no Contact to change"
# One Contact change per call (the test passes SIM_SEQ), and the CometD client expiry.
cat >"$work/trigger" <<EOF
#!/bin/sh
phone=\$(printf '+1415555%04d' "\$SIM_SEQ")
exec curl -sf --cacert '$pem' -o /dev/null -X PATCH -H 'content-type: application/json' \\
  -d "{\\"Phone\\":\\"\$phone\\"}" '$url/__sim/records/Contact/$record'
EOF
cat >"$work/expire" <<EOF
#!/bin/sh
exec curl -sf --cacert '$pem' -o /dev/null -X POST '$url/__sim/cometd/expire-clients'
EOF
chmod +x "$work/trigger" "$work/expire"
(cd "$here/cometd" &&
  SIM_URL="$url" SIM_TOKEN="$token" SIM_TRIGGER="$work/trigger" SIM_EXPIRE="$work/expire" \
    NODE_EXTRA_CA_CERTS="$pem" node --test --test-reporter=spec test.mjs) ||
  fail "the cometd suite failed"

kill -0 "$pid" 2>/dev/null || fail "orgsync sim died during the suites"
step "both suites passed against $bin sim"
