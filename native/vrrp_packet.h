// VRRPv3 advertisements (RFC 5798) and the frames a new master announces its
// addresses with (gratuitous ARP, unsolicited neighbour advertisement): pure
// byte work, no sockets and no N-API, so the sanitizer harness and the fuzz
// tests run the exact code the raw sockets use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vrrp {

constexpr uint8_t kProtocol = 112;  // IPPROTO_VRRP
constexpr uint8_t kHopLimit = 255;  // the only TTL / hop limit a VRRP packet may carry
constexpr size_t kHeaderLen = 8;
constexpr size_t kMaxAddresses = 255;  // the count is one byte

struct Ip {
  int family = 0;  // AF_INET or AF_INET6
  uint8_t bytes[16] = {};
  size_t size() const;
};

struct Advert {
  int family = 0;
  uint8_t vrid = 0;
  uint8_t priority = 0;
  uint16_t intervalCs = 0;  // 12 bits on the wire
  std::vector<Ip> addresses;
  Ip source;  // the packet's IP source (decode only)
};

// Why a received packet is refused: each a VrrpDropReason of lib/vrrp/types.ts.
enum class Drop { kNone, kShort, kTtl, kVersion, kType, kChecksum, kAddressCount, kLength, kFamily, kInterface, kInterval };
constexpr size_t kDropKinds = static_cast<size_t>(Drop::kInterval) + 1;
const char* DropName(Drop drop);

// The Internet checksum of the pseudo-header (src, dst, protocol 112, length)
// and `len` bytes of VRRP message, as RFC 5798 §5.2.8 asks of version 3 for
// both families; 0 when a received message (checksum field included) is intact.
uint16_t Checksum(const Ip& src, const Ip& dst, const uint8_t* vrrp, size_t len);

// The VRRP message (header + addresses) of `a`, its checksum over the
// pseudo-header of src -> dst. False (with *err) for what the wire cannot
// carry: a vrid of 0, an interval out of 1..4095, no or too many addresses,
// an address or endpoint of another family.
bool EncodeAdvert(const Advert& a, const Ip& src, const Ip& dst, std::vector<uint8_t>* out, std::string* err);

// An IPv4 datagram as a raw IPPROTO_VRRP socket delivers it (IP header
// included): every check of RFC 5798 §7.1 that needs no configuration, in
// order; on kNone *out holds the advert. Reads nothing past data + len.
Drop DecodeIpv4(const uint8_t* data, size_t len, Advert* out);

// An IPv6 VRRP message (raw IPv6 sockets deliver no IP header): the addresses
// and hop limit come from the socket's ancillary data (hopLimit -1: absent).
Drop DecodeIpv6(const uint8_t* data, size_t len, const Ip& src, const Ip& dst, int hopLimit, Advert* out);

// A whole Ethernet frame announcing that `ip` is at `mac`: an ARP request
// from and for the address, to the broadcast address (keepalived's form).
std::vector<uint8_t> GratuitousArp(const uint8_t mac[6], const uint8_t ip[4]);

// A whole Ethernet frame: an unsolicited neighbour advertisement (RFC 4861
// §7.2.6) from `ip` to ff02::1, hop limit 255, the override flag (and the
// router flag when the host forwards), a target link-layer address option.
std::vector<uint8_t> UnsolicitedNa(const uint8_t mac[6], const uint8_t ip[16], bool router);

}  // namespace vrrp
