// A new master's announcement of its addresses (no N-API): one gratuitous ARP
// per IPv4 address and one unsolicited neighbour advertisement per IPv6
// address, whole Ethernet frames from a send-only packet socket made in the
// interface's namespace. Repeating them (keepalived's garp_master_repeat) is the caller's.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "outcome.h"
#include "vrrp_packet.h"

namespace vrrp {

// EOPNOTSUPP for an interface that is not Ethernet (loopback, tunnels: no
// link-layer address to announce); ETIMEDOUT when the deadline passes before
// a frame is sent (the frames sent before it stay sent). *sent counts frames.
ipvs::Outcome Announce(const std::string& nsPath, const std::string& ifname, const std::vector<Ip>& addresses, bool router,
                       std::chrono::steady_clock::time_point deadline, int* sent);

}  // namespace vrrp
