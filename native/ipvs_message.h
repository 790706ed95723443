// Building IPVS generic-netlink requests and decoding the kernel's replies.
// Pure functions over the plain structs of ipvs_types.h: no socket, no N-API,
// so the byte layout can be tested without a kernel (see addon.cc's codec hooks).
#pragma once

#include <linux/netlink.h>
#include <netlink/msg.h>

#include <string>

#include "ipvs_types.h"

namespace ipvs {

// Builds the request message. Dumps carry NLM_F_DUMP, everything else
// NLM_F_ACK so that each request gets exactly one ACK or error back.
// Returns nullptr when the message cannot be built (only on allocation failure).
nl_msg* EncodeRequest(const Request& req, int familyId, uint32_t seq);

// Decodes one IPVS reply (any of the kernel's NEW_SERVICE, NEW_DEST,
// NEW_DAEMON, SET_CONFIG, SET_INFO answers). Every attribute is checked for
// length before use; unknown attributes are ignored.
// withStats false: the counters are skipped, not decoded (hasStats stays false).
// Returns 0, or -EPROTO when the message is malformed.
int DecodeRecord(const nlmsghdr* nlh, Record* out, bool withStats = true);

// Text <-> bytes for addresses, as inet_pton/inet_ntop (IPv6 compressed).
bool ParseAddress(uint16_t family, const std::string& text, Address* out);
std::string FormatAddress(const Address& address);

}  // namespace ipvs
