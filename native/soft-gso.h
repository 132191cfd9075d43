// Software GSO for a plain TUN (no IFF_VNET_HDR, --offload off): the stack
// hands the addon a TCP/IPv4 super-packet and the addon cuts it into MSS
// segments with complete checksums as it writes them — Linux's own design for
// a device without TSO (GSO in dev_hard_start_xmit → skb_gso_segment →
// tcp_gso_segment, then skb_checksum_help). JS then pays per super-packet,
// not per segment, and never reads the payload: each segment goes out as
// writev([its header, a slice of the super-packet's payload]), nothing copied
// but the header. Same rules as src/link/gso.ts segmentTcp4: IP total
// length, identification +1 per segment and header checksum; TCP sequence
// number and checksum; FIN and PSH only on the last segment, CWR only on the
// first.
#pragma once

#include "checksum.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

namespace tunstack {

constexpr size_t kMaxGsoHeader = 120;  // 60 bytes of IPv4 header + 60 of TCP header

inline uint16_t OnesAdd(uint32_t a, uint32_t b) {
  uint32_t s = a + b;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

inline void StoreBE16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Cut `pkt` (an IPv4 datagram carrying TCP, checksum field partial or not)
// into segments of `gsoSize` payload bytes and call write(iov, 2) for each
// in order; write returns false to stop (the rest is then not written).
// Returns the number of segments written, or -1 if the headers are malformed
// (nothing written).
template <class Write>
int SoftGsoTcp4(const uint8_t* pkt, size_t len, size_t gsoSize, Write&& write) {
  if (len < 20 || gsoSize == 0) return -1;
  size_t ihl = (pkt[0] & 0x0f) * 4u;
  if (ihl < 20 || len < ihl + 20 || pkt[9] != 6) return -1;
  size_t thl = (pkt[ihl + 12] >> 4) * 4u;
  size_t hl = ihl + thl;
  if (thl < 20 || hl > len || hl > kMaxGsoHeader) return -1;
  size_t payloadLen = len - hl;
  uint32_t seq0 = (uint32_t(pkt[ihl + 4]) << 24) | (uint32_t(pkt[ihl + 5]) << 16) | (uint32_t(pkt[ihl + 6]) << 8) | pkt[ihl + 7];
  uint32_t id0 = (uint32_t(pkt[4]) << 8) | pkt[5];
  uint8_t flags = pkt[ihl + 13];
  int n = 0;
  for (size_t off = 0; off < payloadLen || (payloadLen == 0 && off == 0); off += gsoSize, n++) {
    size_t seg = payloadLen - off < gsoSize ? payloadLen - off : gsoSize;
    bool last = off + seg >= payloadLen;
    uint8_t h[kMaxGsoHeader];
    memcpy(h, pkt, hl);
    StoreBE16(h + 2, static_cast<uint32_t>(hl + seg));
    StoreBE16(h + 4, (id0 + n) & 0xffff);
    h[10] = h[11] = 0;
    uint16_t ipSum = static_cast<uint16_t>(~SumNative16(h, ihl));
    memcpy(h + 10, &ipSum, 2);
    uint32_t seq = seq0 + static_cast<uint32_t>(off);
    h[ihl + 4] = static_cast<uint8_t>(seq >> 24);
    h[ihl + 5] = static_cast<uint8_t>(seq >> 16);
    h[ihl + 6] = static_cast<uint8_t>(seq >> 8);
    h[ihl + 7] = static_cast<uint8_t>(seq);
    uint8_t f = flags;
    if (!last) f &= static_cast<uint8_t>(~(0x01 | 0x08));  // FIN, PSH
    if (n > 0) f &= static_cast<uint8_t>(~0x80);            // CWR
    h[ihl + 13] = f;
    h[ihl + 16] = h[ihl + 17] = 0;
    // RFC 9293 §3.1: pseudo-header (source, destination, zero, protocol, TCP length).
    uint8_t pseudo[12];
    memcpy(pseudo, h + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    StoreBE16(pseudo + 10, static_cast<uint32_t>(thl + seg));
    // Each part starts at an even position of the segment (hl is a multiple of 4),
    // so native-order partial sums add up (RFC 1071 §2).
    uint16_t sum = OnesAdd(OnesAdd(SumNative16(pseudo, 12), SumNative16(h + ihl, thl)), SumNative16(pkt + hl + off, seg));
    uint16_t tcpSum = static_cast<uint16_t>(~sum);
    memcpy(h + ihl + 16, &tcpSum, 2);
    struct iovec iov[2] = {{h, hl}, {const_cast<uint8_t*>(pkt + hl + off), seg}};
    if (!write(iov, 2)) return n;
    if (last) return n + 1;
  }
  return n;
}

}  // namespace tunstack
