// The internet checksum (RFC 1071) in C for the no-offload send path: the
// addon finishes a partial transport checksum (the field holds the folded
// pseudo-header sum, as Linux's CHECKSUM_PARTIAL) the way Linux's
// skb_checksum_help does when a device cannot: sum from csum_start to the end
// of the packet and store the complement at csum_start + csum_offset.
// JS then never reads the payload on send; the sum runs on whichever thread
// writes the packet (the writer thread, tx-writer.h).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace tunstack {

// Ones'-complement sum of buf[0, len) in native byte order, folded to 16
// bits. RFC 1071 §2(B): the sum is byte-order independent up to a final
// swap, so summing native-order words and storing the result in native
// order gives the network-order field without any swapping.
inline uint16_t SumNative16(const uint8_t* buf, size_t len) {
  uint64_t acc = 0;
  size_t i = 0;
  // 32-bit words into a 64-bit accumulator: 2^32 words before it can overflow.
  for (; i + 16 <= len; i += 16) {
    uint32_t w[4];
    memcpy(w, buf + i, 16);
    acc += static_cast<uint64_t>(w[0]) + w[1] + w[2] + w[3];
  }
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, buf + i, 4);
    acc += w;
  }
  for (; i + 2 <= len; i += 2) {
    uint16_t w;
    memcpy(&w, buf + i, 2);
    acc += w;
  }
  if (i < len) {
    // The odd last byte is the first byte of a zero-padded 16-bit word (RFC 1071 §4.1).
    uint16_t w = 0;
    memcpy(&w, buf + i, 1);
    acc += w;
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

// Complete the partial checksum of `pkt` (csum_start / csum_offset as in a
// virtio_net_hdr with VIRTIO_NET_HDR_F_NEEDS_CSUM). Returns false, touching
// nothing, if the offsets do not fit the packet.
inline bool FinishPartialChecksum(uint8_t* pkt, size_t len, size_t csumStart, size_t csumOffset) {
  if (csumStart >= len || csumStart + csumOffset + 2 > len) return false;
  uint16_t sum = SumNative16(pkt + csumStart, len - csumStart);
  uint16_t field = static_cast<uint16_t>(~sum);
  // RFC 768: a computed UDP checksum of zero goes out as all ones (0 means "none").
  if (csumOffset == 6 && field == 0) field = 0xffff;
  memcpy(pkt + csumStart + csumOffset, &field, 2);
  return true;
}

}  // namespace tunstack
