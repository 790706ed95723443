// Reading the IPVS files (/proc/net/ip_vs_conn, ip_vs_conn_sync, ip_vs_stats)
// of a network namespace whole, before a deadline. No N-API: the sanitizer
// and valgrind checks (native/check) drive it directly.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "outcome.h"

namespace ipvs {

// Only these names are read (the connection table, and the global counters
// the metrics report): this is not a general way into another namespace's files.
bool IsIpvsProcFileName(const std::string& name);

// Reads each named file in turn into *out (one string per name), inside
// namespace nsPath ("" for the calling thread's own). EINVAL for another
// name, ETIMEDOUT past the deadline, EFBIG past 512 MiB, else the errno of
// the open or read that failed.
Outcome ReadConnectionFiles(const std::string& nsPath, const std::vector<std::string>& names,
                            std::chrono::steady_clock::time_point deadline, std::vector<std::string>* out);

}  // namespace ipvs
