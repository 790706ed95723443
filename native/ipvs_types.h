// Plain C++ views of IPVS objects, shared by the message encoder/decoder and
// the socket layer. No N-API and no libnl types here: the JS edge fills these
// structs before a worker runs, and reads them back after it finishes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipvs {

// An IPv4 or IPv6 address in network byte order (IPv4 in the first 4 bytes),
// the layout of the kernel's union nf_inet_addr.
struct Address {
  uint16_t family = 0;  // AF_INET or AF_INET6
  uint8_t bytes[16] = {0};
};

// Counters and rates. The kernel reports both a 32-bit (STATS) and a 64-bit
// (STATS64) nest; the decoder prefers the 64-bit one.
struct Stats {
  uint64_t conns = 0, inPackets = 0, outPackets = 0, inBytes = 0, outBytes = 0;
  uint64_t cps = 0, inPps = 0, outPps = 0, inBps = 0, outBps = 0;
};

// What identifies a virtual service: protocol/address/port, or a firewall mark.
struct ServiceKey {
  uint16_t family = 0;
  uint16_t protocol = 0;  // IPPROTO_TCP/UDP/SCTP; ignored for fwmark services
  Address address;
  uint16_t port = 0;      // host byte order; the encoder swaps
  uint32_t fwmark = 0;    // non-zero: a firewall-mark service
};

struct Service {
  ServiceKey key;
  std::string scheduler;
  std::string persistenceEngine;  // empty: none
  uint32_t flags = 0;
  uint32_t flagsMask = 0xffffffff;
  uint32_t timeout = 0;   // persistence timeout, seconds
  uint32_t netmask = 0;   // IPv4: mask as a host-order number; IPv6: prefix length
  bool hasStats = false;
  Stats stats;
};

struct Destination {
  Address address;        // family may differ from the service's (tunnels)
  uint16_t port = 0;      // host byte order
  uint32_t forwarding = 0;  // IP_VS_CONN_F_MASQ ... BYPASS
  uint32_t weight = 0;
  uint32_t upperThreshold = 0;
  uint32_t lowerThreshold = 0;
  uint32_t activeConns = 0, inactiveConns = 0, persistentConns = 0;
  bool hasTunnel = false;  // the three tunnel attributes below are present
  uint8_t tunnelType = 0;
  uint16_t tunnelPort = 0;  // host byte order
  uint16_t tunnelFlags = 0;
  bool hasStats = false;
  Stats stats;
};

struct Daemon {
  uint32_t state = 0;  // IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP
  std::string interface;
  uint32_t syncId = 0;
  bool hasMaxLength = false;
  uint16_t maxLength = 0;
  bool hasGroup = false;
  Address group;
  bool hasPort = false;
  uint16_t port = 0;  // host byte order (the kernel carries it unswapped)
  bool hasTtl = false;
  uint8_t ttl = 0;
};

struct Timeouts {
  uint32_t tcp = 0, tcpFin = 0, udp = 0;  // seconds; 0 means "unchanged" to SET_CONFIG
};

struct Info {
  uint32_t version = 0;
  uint32_t connTableSize = 0;
};

// The objects a message may carry, each with its presence flag.
struct Payload {
  uint8_t cmd = 0;
  bool hasService = false;
  Service service;
  bool hasDestination = false;
  Destination destination;
  bool hasDaemon = false;
  Daemon daemon;
  bool hasTimeouts = false;
  Timeouts timeouts;
};

// One IPVS command, ready to encode. Which parts are sent depends on cmd:
// NEW/SET_SERVICE send the whole service, other commands only its key.
struct Request : Payload {
  bool dump = false;
};

// One decoded reply message.
struct Record : Payload {
  bool hasInfo = false;
  Info info;
};

// One service of a table listing with its destinations.
struct TableEntry {
  Service service;
  std::vector<Destination> destinations;
};

}  // namespace ipvs
