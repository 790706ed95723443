// The N-API edge of rtnl.h: hostNet(nsPath | null, request) => Promise, the
// request run on a helper thread inside the namespace.
#pragma once

#include <napi.h>

namespace ipvs {

// request: { op: 'link' | 'linkUp' | 'linkDown' | 'addAddress' | 'deleteAddress' | 'listAddresses',
//            interface, address?, prefix? }
Napi::Value HostNetJs(const Napi::CallbackInfo& info);

}  // namespace ipvs
