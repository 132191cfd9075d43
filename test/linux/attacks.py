#!/usr/bin/python3
"""Attack driver for test/linux/attacks.test.ts, run inside the test's network
namespace (kernel side of the stack's TUN). Packets are built with scapy and
sent from a raw IP socket (IP_HDRINCL, so sources can be spoofed); answers
are read from a raw TCP/ICMP socket. Lock-step: one attack name per stdin
line, one result line `ok <name> <json>` (or `err <name> <message>`) back.

usage: attacks.py STACK_ADDR HOST_ADDR
"""
import json
import random
import select
import socket
import struct
import sys
import time

from scapy.all import ICMP, IP, IPOption, TCP, UDP, Raw, fragment  # noqa: F401

ADDR, HOST = sys.argv[1], sys.argv[2]
out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
tcp_in = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
icmp_in = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
rng = random.Random(1858)


def send(*pkts):
    for p in pkts:
        out.sendto(bytes(p), (ADDR, 0))


def drain(sock):
    while select.select([sock], [], [], 0)[0]:
        sock.recv(65535)


def recv_tcp(dport, timeout=1.0, want=lambda t: True):
    """Next TCP segment from the stack to our port dport matching want()."""
    end = time.time() + timeout
    while time.time() < end:
        if not select.select([tcp_in], [], [], max(0, end - time.time()))[0]:
            break
        p = IP(tcp_in.recv(65535))
        if p.src == ADDR and TCP in p and p[TCP].dport == dport and want(p[TCP]):
            return p[TCP]
    return None


def icmp_from_stack(timeout=0.3):
    """ICMP messages the stack sent us within timeout (types)."""
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        if not select.select([icmp_in], [], [], max(0, end - time.time()))[0]:
            break
        p = IP(icmp_in.recv(65535))
        if p.src == ADDR and ICMP in p:
            seen.append(p[ICMP].type)
    return seen


def ping(**kw):
    return IP(src=kw.pop('src', HOST), dst=ADDR, **kw) / ICMP(id=0x4242, seq=1) / Raw(b'x' * 56)


def frag(src, ident, off_bytes, mf, payload, proto=17):
    return IP(src=src, dst=ADDR, id=ident, proto=proto, flags='MF' if mf else 0, frag=off_bytes // 8) / Raw(payload)


def handshake(sport, isn, ts=None, port=7):
    """Open a connection by hand; the kernel's RSTs are dropped by the test's iptables rule."""
    opts = [('MSS', 1460)] + ([('Timestamp', (ts, 0))] if ts is not None else [])
    drain(tcp_in)
    send(IP(src=HOST, dst=ADDR) / TCP(sport=sport, dport=port, flags='S', seq=isn, options=opts))
    sa = recv_tcp(sport, want=lambda t: t.flags == 'SA')
    if sa is None:
        raise RuntimeError('no SYN-ACK')
    tsecr = dict(sa.options).get('Timestamp', (0, 0))[0]
    return sa.seq + 1, tsecr


def wrap_transfer(isn, ts_start=None, port=7):
    """Send 3 x 400 bytes whose sequence numbers (and timestamps) cross a wrap; return the final ACK."""
    sport = 40000 + rng.randrange(100)
    rcv, tsecr = handshake(sport, isn, ts_start, port)
    seq = (isn + 1) & 0xffffffff
    ts = ts_start
    ack = None
    for i in range(3):
        opts = [('Timestamp', (ts, tsecr))] if ts is not None else []
        send(IP(src=HOST, dst=ADDR) / TCP(sport=sport, dport=port, flags='PA', seq=seq, ack=rcv, options=opts) / Raw(bytes([65 + i]) * 400))
        seq = (seq + 400) & 0xffffffff
        if ts is not None:
            ts = (ts + 0x10) & 0xffffffff
        got = recv_tcp(sport, want=lambda t: t.ack == seq)
        ack = got.ack if got else ack
    send(IP(src=HOST, dst=ADDR, ttl=65) / TCP(sport=sport, dport=port, flags='R', seq=seq))
    return {'expected': seq, 'ack': ack}


def attack(name):
    drain(icmp_in)
    if name == 'teardrop':
        # Second fragment starts inside the first (classic teardrop: offset 24 < 48).
        send(frag(HOST, 101, 0, True, b'A' * 48), frag(HOST, 101, 24, False, b'B' * 40))
    elif name == 'overlap-rewrite':
        # A later fragment tries to rewrite bytes already received (first copy wins).
        send(frag(HOST, 102, 0, True, b'A' * 64), frag(HOST, 102, 8, True, b'C' * 16), frag(HOST, 102, 64, False, b'D' * 8))
    elif name == 'ping-of-death':
        body = bytes(ICMP(type=8, id=7, seq=7)) + b'x' * 1472
        send(frag(HOST, 103, 0, True, body, proto=1), frag(HOST, 103, 65528, False, b'y' * 100, proto=1))
    elif name == 'tiny-fragments':
        tcp = bytes(TCP(sport=40999, dport=80, flags='S', seq=1) / Raw(b'z' * 8))
        send(frag(HOST, 104, 0, True, tcp[:8], proto=6), frag(HOST, 104, 8, False, tcp[8:], proto=6))
    elif name == 'fragment-flood':
        # 4000 never-completed 1480-byte first fragments from 4000 sources: ~6 MB offered.
        tmpl = bytearray(bytes(frag('10.200.0.1', 1, 0, True, b'f' * 1480)))
        for i in range(4000):
            struct.pack_into('!H', tmpl, 4, i & 0xffff)
            struct.pack_into('!BB', tmpl, 14, 1 + (i >> 8) % 250, 1 + i % 250)
            out.sendto(bytes(tmpl), (ADDR, 0))
            if i % 50 == 49:
                time.sleep(0.002)  # stay under the TUN queue (txqueuelen 500) so the stack sees the flood
    elif name == 'land':
        send(IP(src=ADDR, dst=ADDR) / TCP(sport=80, dport=80, flags='S', seq=1))
    elif name == 'syn-fin':
        send(IP(src=HOST, dst=ADDR) / TCP(sport=42001, dport=80, flags='SF', seq=1))
    elif name == 'syn-rst':
        send(IP(src=HOST, dst=ADDR) / TCP(sport=42002, dport=80, flags='SR', seq=1))
    elif name == 'xmas':
        send(IP(src=HOST, dst=ADDR) / TCP(sport=42003, dport=80, flags='FPU', seq=1))
    elif name == 'null':
        send(IP(src=HOST, dst=ADDR) / TCP(sport=42004, dport=80, flags=0, seq=1))
    elif name == 'data-offset':
        send(IP(src=HOST, dst=ADDR) / TCP(sport=42005, dport=80, flags='S', seq=1, dataofs=15))
    elif name == 'option-lengths':
        # MSS with length 0, window scale with length 1, timestamps running past the end, SACK past the end.
        for raw in (b'\x02\x00\x00\x00', b'\x03\x01\x00\x00', b'\x08\x0a\x00\x00', b'\x01\x01\x05\x30'):
            send(IP(src=HOST, dst=ADDR) / TCP(sport=42006, dport=80, flags='S', seq=1, dataofs=6) / Raw(raw))
    elif name == 'mss-zero':
        drain(tcp_in)
        send(IP(src=HOST, dst=ADDR) / TCP(sport=40500, dport=80, flags='S', seq=1, options=[('MSS', 0)]))
        sa = recv_tcp(40500, want=lambda t: t.flags == 'SA')
        send(IP(src=HOST, dst=ADDR, ttl=65) / TCP(sport=40500, dport=80, flags='R', seq=2))
        return {'synack': sa is not None}
    elif name == 'source-route':
        send(ping(options=[IPOption(b'\x83\x07\x04\x0a\x4d\x00\x09\x00')]))  # LSRR
        send(ping(options=[IPOption(b'\x89\x07\x04\x0a\x4d\x00\x09\x00')]))  # SSRR
        return {'icmp': icmp_from_stack()}
    elif name == 'bad-ip-options':
        send(ping(options=[IPOption(b'\x44\x02\x00\x00')]))
        return {'icmp': icmp_from_stack()}
    elif name == 'martian-sources':
        send(ping(src='255.255.255.255'), ping(src='224.0.0.1'), ping(src='127.0.0.1'), ping(src='10.77.0.255' if ADDR.startswith('10.77.0.') else ADDR.rsplit('.', 1)[0] + '.255'))
        return {'icmp': icmp_from_stack()}
    elif name == 'icmp-redirect':
        send(IP(src=HOST, dst=ADDR) / ICMP(type=5, code=1, gw='10.66.66.66') / IP(src=ADDR, dst='10.1.1.1') / UDP(sport=1, dport=2))
        return {'icmp': icmp_from_stack()}
    elif name == 'icmp-error-about-icmp-error':
        inner = IP(src=ADDR, dst=HOST) / ICMP(type=3, code=3) / IP(src=HOST, dst=ADDR) / UDP(sport=5, dport=6)
        send(IP(src=HOST, dst=ADDR) / ICMP(type=3, code=1) / inner)
        # and a port unreachable error datagram to a closed UDP port (an error must never answer an error)
        send(IP(src=HOST, dst=ADDR) / ICMP(type=11, code=0) / IP(src=ADDR, dst=HOST) / ICMP(type=3, code=3))
        return {'icmp': icmp_from_stack()}
    elif name == 'frag-needed-absurd':
        quoted = IP(src=ADDR, dst=HOST) / TCP(sport=80, dport=40777, seq=1)
        send(IP(src=HOST, dst=ADDR) / ICMP(type=3, code=4, nexthopmtu=68) / quoted)
        send(IP(src=HOST, dst=ADDR) / ICMP(type=3, code=4, nexthopmtu=8) / quoted)
        return {'icmp': icmp_from_stack()}
    elif name == 'seq-wrap-2^31':
        return wrap_transfer(0x7ffffe00)
    elif name == 'seq-wrap-2^32':
        return wrap_transfer(0xfffffe00)
    elif name == 'ts-wrap':
        return wrap_transfer(0x12345678, ts_start=0xffffffe8)
    else:
        raise RuntimeError('unknown attack ' + name)
    return {}


for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    try:
        print('ok', name, json.dumps(attack(name)), flush=True)
    except Exception as e:  # report, keep serving the next attack
        print('err', name, repr(e), flush=True)
