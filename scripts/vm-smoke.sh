#!/usr/bin/env bash
# VM smoke, run INSIDE the guest: `npm run vm -- bash scripts/vm-smoke.sh`
# (test/vm/smoke.test.ts does exactly that in CI). On the guest kernel:
# tunstack up in a namespace answers ping and curl, then a few conformance
# scripts run in wire mode against the real binary over a TUN.
#
# The wire scripts run with the runner's own VM timing (it sees TUNSTACK_VM=1
# and prints it first): script time dilated 3x (--time-scale) and a 400 ms
# tolerance floor in script time, as the full run in the VM uses (README
# "Linux VMs and WAN paths"). One agent process serves all of them; it gets
# 180 s to print `ready` (node starts 20-50x slower in a TCG guest on a loaded
# host). --retries 2 for the timing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TUNSTACK_VM:-}" = 1 ] || { echo "vm-smoke.sh runs inside the VM: npm run vm -- bash scripts/vm-smoke.sh" >&2; exit 2; }
echo "vm-smoke: kernel $(uname -r)"

NS="smoke-$$"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
node dist/src/cli.js up --netns "$NS" --tun smk0 --host-addr 10.77.0.1/24 --addr 10.77.0.2 --services http,echo --log-level warn > /tmp/smoke-up.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q ready /tmp/smoke-up.log && break; kill -0 "$pid" || { cat /tmp/smoke-up.log; exit 1; }; sleep 0.1; done
grep -q ready /tmp/smoke-up.log || { echo "vm-smoke: tunstack not ready in 60 s"; cat /tmp/smoke-up.log; exit 1; }
ip netns exec "$NS" ping -c 3 -i 0.2 -W 5 10.77.0.2 | grep -E 'packets transmitted'
page="$(ip netns exec "$NS" curl -sS --max-time 30 http://10.77.0.2/)"
echo "vm-smoke: curl got ${#page} bytes: $(printf '%s' "$page" | head -c 60 | tr '\n' ' ')"
[ -n "$page" ]
cleanup
pid=""

node dist/src/conformance/main.js --wire --retries 2 \
  test/conformance/scripts/handshake/passive-open.pkt \
  test/conformance/scripts/handshake/active-open.pkt \
  test/conformance/scripts/data/send-and-ack.pkt \
  test/conformance/scripts/data/dsack-in-order-overlaps-held.pkt \
  test/conformance/scripts/close/passive-close-close-wait-last-ack.pkt
echo "vm-smoke: ok"
