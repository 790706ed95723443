// The N-API edge of the link watch: a class whose events are read on the JS
// thread when libuv reports the socket readable.
#pragma once

#include <napi.h>

namespace ipvs {

// { LinkWatch }
void RegisterLinkWatch(Napi::Env env, Napi::Object exports);

}  // namespace ipvs
