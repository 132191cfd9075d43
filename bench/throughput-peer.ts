/**
 * The kernel-side TCP program of the throughput benchmark, as Python source
 * for `ip netns exec NS python3 -c`: it connects `streams` connections
 * (client) or accepts them (server) and sends or receives `bytes` in total,
 * split evenly. Python's blocking sendall/recv_into on 1 MiB buffers spend
 * their time in the kernel, so the peer is not what limits the kernel
 * reference (a Node peer capped it near 1 Gbit/s on a loaded machine).
 * The client times from the first connect to the last close and prints one
 * JSON line `{"sec": s, "cpu": s}` (its own user+system seconds); the server
 * prints `up` once listening and `{"cpu": s}` when its last connection closes.
 */

export interface PeerArgs {
  role: 'client' | 'server';
  /** Whether this program sends (true) or receives. */
  send: boolean;
  host: string;
  port: number;
  streams: number;
  bytes: number;
  timeoutMs: number;
}

export function peerScript(a: PeerArgs): string {
  return `
import json, os, socket, sys, threading, time
a = json.loads(${JSON.stringify(JSON.stringify(a))})
per = a['bytes'] // a['streams']
chunk = bytearray(1 << 20)
def cpu():
    t = os.times()
    return t.user + t.system
def drive(s):
    if a['send']:
        left = per
        view = memoryview(chunk)
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(view[:n])
            left -= n
        s.shutdown(socket.SHUT_WR)
        while s.recv_into(chunk):
            pass
    else:
        while s.recv_into(chunk):
            pass
        s.shutdown(socket.SHUT_WR)
    s.close()
def watchdog():
    time.sleep(a['timeoutMs'] / 1000)
    print('timeout', file=sys.stderr, flush=True)
    os._exit(1)
threading.Thread(target=watchdog, daemon=True).start()
if a['role'] == 'server':
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a['host'], a['port']))
    srv.listen(16)
    print('up', flush=True)
    ts = []
    for _ in range(a['streams']):
        c, _addr = srv.accept()
        t = threading.Thread(target=drive, args=(c,))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    print(json.dumps({'cpu': cpu()}), flush=True)
else:
    t0 = time.monotonic()
    c0 = cpu()
    def one():
        s = socket.create_connection((a['host'], a['port']))
        drive(s)
    ts = [threading.Thread(target=one) for _ in range(a['streams'])]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps({'sec': time.monotonic() - t0, 'cpu': cpu() - c0}), flush=True)
`;
}
