// The N-API edge of the VRRP wire layer: a socket class whose datagrams are
// read on the JS thread when libuv reports the descriptor readable, the
// announcement worker, and the codec hooks the unit and fuzz tests call.
#pragma once

#include <napi.h>

namespace vrrp {

// { VrrpSocket, vrrpAnnounce, vrrpCodec: { encode, decodeIpv4, decodeIpv6, gratuitousArp, unsolicitedNa } }
void RegisterVrrp(Napi::Env env, Napi::Object exports);

}  // namespace vrrp
