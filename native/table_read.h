// The whole IPVS table in one run on one channel: the services dump, then
// each service's destination dump keyed by the service as dumped. Streamed:
// nothing of the dumps is kept but the service keys, so reading 10,000
// services touches little fresh memory (each fresh page costs a trap in
// user-mode Linux; a vector of 10,000 decoded records was 3,000 of them).
#pragma once

#include <cstddef>
#include <vector>

#include "ipvs_types.h"
#include "nl_channel.h"
#include "outcome.h"

namespace ipvs {

// Where a reading goes: every distinct service first, in dump order, then the
// destinations of each, by the service's index in that order.
class TableSink {
 public:
  virtual ~TableSink() = default;
  virtual void OnService(Service& service) = 0;
  virtual void OnDestinations(size_t service, std::vector<Destination>& destinations) = 0;
};

// Dumps resume by position in a hash table shared by every namespace: a change
// elsewhere during a multi-part dump can repeat entries (never flagged).
// Repeats are dropped before the sink sees them.
Outcome ReadTable(Channel& channel, Channel::Clock::time_point deadline, bool withStats, TableSink* sink);

// The reading as entries (getTable's objects).
Outcome ReadTable(Channel& channel, Channel::Clock::time_point deadline, bool withStats,
                  std::vector<TableEntry>* table);

}  // namespace ipvs
