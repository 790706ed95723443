// The IPVS files of a network namespace (/proc/net/ip_vs_conn, ip_vs_conn_sync
// and the global counters ip_vs_stats), read whole on a helper thread that
// joined the namespace.
// The generic netlink family has no connection dump; these files are the
// kernel's only account of its connections.
#pragma once

#include <napi.h>

namespace ipvs {

// readProcNet(nsPath | null, names: string[], timeoutMs) => Promise<Buffer[]>,
// one Buffer per name, in order. Names are limited to those three IPVS
// files; this is not a general way into another namespace's files.
Napi::Value ReadProcNetJs(const Napi::CallbackInfo& info);

}  // namespace ipvs
