// Turning what a TUN device with offloads hands us into packets WireGuard can carry: the kernel
// gives up to 64 KiB TCP (and UDP, with USO) "super-packets" with a virtio header saying how to
// cut them, and leaves checksums for us to finish. Each resulting packet is a complete, valid
// IP packet of at most gso_size payload bytes.
#pragma once

#include <cstdint>
#include <span>

#include "tunnel/virtio_net_hdr.h"
#include "util/bytes.h"
#include "util/error.h"

namespace wgd::tunnel {

// Splits `packet` (the bytes after the virtio header) into segments written at outs[i] (each
// large enough for hdr_len + gso_size bytes); sizes[i] gets each length. Without GSO it copies
// the packet into outs[0], completing a partial checksum if the kernel left one. Returns the
// number of packets, or an error for a malformed header (the packet is then dropped).
// The input is modified (checksum fields cleared).
Result<std::size_t> gso_split(const VirtioNetHdr& hdr, MutableByteSpan packet,
                              std::span<std::uint8_t* const> outs, std::span<std::size_t> sizes,
                              std::size_t out_capacity);

// How many segments a packet with this header needs (1 without GSO); 0 for a malformed header.
std::size_t gso_segment_count(const VirtioNetHdr& hdr, std::size_t packet_size);

}  // namespace wgd::tunnel
