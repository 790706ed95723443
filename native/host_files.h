// Files of another network namespace's /proc/sys/net: opened on a helper
// thread that joined the namespace, so the descriptor reads and writes that
// namespace's settings from any thread afterwards.
#pragma once

#include <napi.h>

namespace ipvs {

// openInNetns(nsPath, path, writable) => Promise<number> (a file descriptor the caller closes)
Napi::Value OpenInNetnsJs(const Napi::CallbackInfo& info);

}  // namespace ipvs
