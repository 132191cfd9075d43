#!/usr/bin/env bash
# Run the packetdrill-language conformance suite.
#
#   scripts/conformance.sh [--profile NAME] [--seed N] [--target tunstack|linux|both]
#                          [--tolerance-ms N] [FILES or DIRS...]
#       In-process mode: the stack runs in virtual time inside the runner; no
#       root, no devices, no namespaces. Exit status 1 if any script failed.
#       --target linux|both also runs each script with the real packetdrill
#       against the running kernel in a fresh `unshare -n` namespace (root).
#
#   scripts/conformance.sh --wire [--no-build] [--tolerance-ms N] [--time-scale K] [--max-duration S] [--retries N]
#                          [--profile NAME] [--log-level L] [FILES or DIRS...]
#       Wire mode: the same scripts against the real `tunstack` binary over a
#       TUN in a network namespace `tscw-<pid>` this script creates and always
#       removes (trap on EXIT/INT/TERM). The runner starts one
#       `tunstack up --conformance-agent ...` in the namespace, which builds a
#       fresh stack for each script; it plays the remote peer through a packet
#       socket on the TUN's kernel side and makes the script's system calls
#       through the agent inside tunstack.
#       Needs root (namespaces, TUN, AF_PACKET) and /dev/net/tun.
#       See "Wire mode" in test/conformance/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

wire=0
build=1
args=()
for arg in "$@"; do
  case "$arg" in
    --wire) wire=1 ;;
    --no-build) build=0 ;;
    *) args+=("$arg") ;;
  esac
done

build_ts() {
  # tsc still emits JavaScript when other parts of the tree have type errors.
  npx tsc -p tsconfig.json >/dev/null 2>&1 || echo "conformance.sh: tsc reported type errors (see npm run build); running what was emitted" >&2
}

if [ "$wire" -eq 0 ]; then
  build_ts
  exec node dist/src/conformance/main.js "${args[@]+"${args[@]}"}"
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "conformance.sh --wire needs root: it creates a network namespace, a TUN device in it and a packet socket (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW). Run it as root, e.g. sudo scripts/conformance.sh --wire" >&2
  exit 2
fi
if [ ! -c /dev/net/tun ]; then
  echo "conformance.sh --wire: /dev/net/tun is missing: load the module with 'modprobe tun'" >&2
  exit 2
fi
if ! command -v ip >/dev/null; then
  echo "conformance.sh --wire: 'ip' (iproute2) is not installed" >&2
  exit 2
fi

if [ "$build" -eq 1 ] || [ ! -f dist/src/conformance/wire/main.js ]; then build_ts; fi
if [ ! -f build/Release/tunstack.node ] || [ ! -f build/Release/tunstack_packet.node ]; then
  npx node-gyp rebuild >/dev/null
fi

NS="tscw-$$"
# The runner's per-script agent sockets live here (via TMPDIR), so the trap removes them too.
work=$(mktemp -d "${TMPDIR:-/tmp}/tscw-$$.XXXXXX")
runner=
cleanup() {
  trap - EXIT INT TERM
  # The runner was started in its own process group together with the
  # tunstack it spawns for the current script: stop exactly that group.
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM -- "-$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
# No forwarding and no route to the script's remote address (192.0.2.1): the
# kernel drops what tunstack sends there silently instead of answering it.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=0

TMPDIR="$work" setsid node dist/src/conformance/wire/main.js --netns "$NS" "${args[@]+"${args[@]}"}" &
runner=$!
set +e
wait "$runner"
status=$?
set -e
runner=
exit "$status"
