#!/usr/bin/env bash
# `npm start`: run tunstack with its demo services in a network namespace of
# its own, check it answers, print what to try, and tear everything down on
# Ctrl-C (or on any failure).
set -euo pipefail
cd "$(dirname "$0")/.."

NS=${TUNSTACK_NETNS:-tunstack-demo}
ADDR=10.77.0.2
HOST=10.77.0.1/24

if [ "$(id -u)" -ne 0 ]; then
  echo "npm start needs root: it creates the network namespace '$NS' and a TUN device in it (CAP_SYS_ADMIN, CAP_NET_ADMIN)." >&2
  echo "Run it as root, e.g.: sudo npm start" >&2
  exit 1
fi
if [ ! -c /dev/net/tun ]; then
  echo "/dev/net/tun is missing: load the module with 'modprobe tun'." >&2
  exit 1
fi
if ip netns list | grep -qw "^$NS"; then
  echo "network namespace '$NS' already exists (an earlier demo still running?). Remove it with: ip netns del $NS" >&2
  exit 1
fi

pid=
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  # tunstack deletes the namespace it created; make sure even if it crashed.
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

out=$(mktemp)
node dist/src/cli.js up --netns "$NS" --tun tun0 --host-addr "$HOST" --addr "$ADDR" "$@" > >(tee "$out") &
pid=$!

for _ in $(seq 1 150); do
  grep -q ready "$out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "tunstack exited before it was ready" >&2; exit 1; }
  sleep 0.1
done
grep -q ready "$out" || { echo "tunstack did not become ready in 15 s" >&2; exit 1; }
rm -f "$out"

echo
ip netns exec "$NS" ping -c 3 -i 0.2 "$ADDR"
cat <<EOT

tunstack is running in network namespace '$NS' at $ADDR (the kernel side is ${HOST%/*}).
Try, in another terminal (as root):

  ip netns exec $NS ping $ADDR
  ip netns exec $NS ping -s 4000 -c 3 $ADDR           # fragmented both ways
  ip netns exec $NS traceroute -n $ADDR
  ip netns exec $NS curl -v http://$ADDR/
  ip netns exec $NS curl -k --http2 https://$ADDR/      # HTTPS, h2 by ALPN (certificate fingerprint above)
  ip netns exec $NS curl --http2-prior-knowledge http://$ADDR/gen/100000 | wc -c
  ip netns exec $NS dig @$ADDR tunstack.test            # DNS (also +tcp, -x $ADDR)
  ip netns exec $NS socat - TCP:$ADDR:7                 # echo
  ip netns exec $NS socat - UDP:$ADDR:7                 # udp echo
  ip netns exec $NS socat -u TCP:$ADDR:19 - | head      # chargen
  node dist/src/cli.js stat --netns $NS --tun tun0      # counters and connections (-i: like ss -tni)
  node dist/src/cli.js explain handshake                # TCP in virtual time, each segment's RFC rule
  node dist/src/cli.js explain --list                   # the other explain scenarios

The live dashboard is at http://$ADDR/_tunstack/ (open it from the namespace, e.g.
  ip netns exec $NS chromium --no-sandbox http://$ADDR/_tunstack/).

Ctrl-C stops tunstack and removes the namespace.
EOT
wait "$pid"
