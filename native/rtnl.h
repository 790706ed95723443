// rtnetlink for the host helpers: interface addresses and link state, in the
// calling thread's network namespace (the N-API edge runs these on a helper
// thread that joined the wanted namespace). The kernel's errno is kept. Every
// call ends by its deadline (the caller's, from when the JS call was made):
// the same receive discipline as the IPVS Channel (nl_wait.h).
#pragma once

#include <string>
#include <vector>

#include "ipvs_types.h"
#include "nl_wait.h"
#include "outcome.h"

namespace ipvs {

struct InterfaceAddress {
  Address address;
  int prefix = 0;
  // IPv6: usable at once, without duplicate address detection (IFA_F_NODAD).
  bool noDad = false;
  // IPv6: preferred lifetime 0 ("deprecated"): still accepts traffic, never chosen as a source.
  bool deprecated = false;
};

struct LinkState {
  int index = 0;
  bool up = false;
  // IFF_RUNNING: operationally up (a carrier; a veth whose peer is down is not).
  bool running = false;
};

// A route of the main table. prefix 0 with no destination is the default route.
struct Route {
  uint16_t family = 0;
  Address destination;
  int prefix = 0;
  bool hasGateway = false;
  Address gateway;
  std::string ifname;  // empty: let the kernel pick by the gateway
};

using RtnlDeadline = SteadyClock::time_point;

Outcome GetLink(const std::string& ifname, LinkState* out, RtnlDeadline deadline);
Outcome SetLinkUp(const std::string& ifname, bool up, RtnlDeadline deadline);
// add: RTM_NEWADDR with NLM_F_EXCL (EEXIST if present); else RTM_DELADDR.
Outcome ChangeAddress(bool add, const std::string& ifname, const InterfaceAddress& addr, RtnlDeadline deadline);
Outcome ListAddresses(const std::string& ifname, std::vector<InterfaceAddress>* out, RtnlDeadline deadline);
// add: RTM_NEWROUTE with NLM_F_EXCL (EEXIST if present); else RTM_DELROUTE.
Outcome ChangeRoute(bool add, const Route& route, RtnlDeadline deadline);
// The default routes of the main table for a family.
Outcome ListDefaultRoutes(uint16_t family, std::vector<Route>* out, RtnlDeadline deadline);

}  // namespace ipvs
