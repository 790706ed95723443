// rtnetlink for the host helpers: interface addresses and link state, in the
// calling thread's network namespace (the N-API edge runs these on a helper
// thread that joined the wanted namespace). The kernel's errno is kept.
#pragma once

#include <string>
#include <vector>

#include "ipvs_types.h"
#include "outcome.h"

namespace ipvs {

struct InterfaceAddress {
  Address address;
  int prefix = 0;
};

struct LinkState {
  int index = 0;
  bool up = false;
};

Outcome GetLink(const std::string& ifname, LinkState* out);
Outcome SetLinkUp(const std::string& ifname, bool up);
// add: RTM_NEWADDR with NLM_F_EXCL (EEXIST if present); else RTM_DELADDR.
Outcome ChangeAddress(bool add, const std::string& ifname, const InterfaceAddress& addr);
Outcome ListAddresses(const std::string& ifname, std::vector<InterfaceAddress>* out);

}  // namespace ipvs
