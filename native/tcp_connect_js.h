// The N-API edge of the TCP checks' connection attempts: a class whose ended
// attempts reach a JS listener in batches, read on the JS thread when libuv
// says the epoll descriptor is readable.
#pragma once

#include <napi.h>

namespace ipvs {

// { TcpConnects }
void RegisterTcpConnects(Napi::Env env, Napi::Object exports);

}  // namespace ipvs
