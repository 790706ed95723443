#include "table_read.h"

#include <linux/ip_vs.h>

#include <array>
#include <cstring>
#include <unordered_set>

namespace ipvs {

namespace {

// An identity as bytes, to drop repeats: family, then port and protocol (or a
// firewall mark), then the address. Fixed size: no allocation per key.
using KeyBytes = std::array<uint8_t, 24>;

KeyBytes BytesOf(uint16_t family, uint16_t a, uint32_t b, const uint8_t (&address)[16]) {
  KeyBytes out{};
  std::memcpy(&out[0], &family, 2);
  std::memcpy(&out[2], &a, 2);
  std::memcpy(&out[4], &b, 4);
  std::memcpy(&out[8], address, 16);
  return out;
}

KeyBytes BytesOf(const ServiceKey& k) {
  static const uint8_t none[16] = {0};
  return k.fwmark ? BytesOf(k.family, 0xffff, k.fwmark, none) : BytesOf(k.family, k.protocol, k.port, k.address.bytes);
}

KeyBytes BytesOf(const Destination& d) { return BytesOf(d.address.family, 0, d.port, d.address.bytes); }

struct KeyHash {
  size_t operator()(const KeyBytes& k) const {
    size_t h = 14695981039346656037ull;  // FNV-1a
    for (uint8_t b : k) h = (h ^ b) * 1099511628211ull;
    return h;
  }
};

using KeySet = std::unordered_set<KeyBytes, KeyHash>;

}  // namespace

Outcome ReadTable(Channel& channel, Channel::Clock::time_point deadline, bool withStats, TableSink* sink) {
  Request dump;
  dump.cmd = IPVS_CMD_GET_SERVICE;
  dump.dump = true;
  std::vector<ServiceKey> keys;
  KeySet seen;
  Outcome o = channel.QueryEach(dump, deadline, withStats, [&](Record& r) {
    if (r.hasService && seen.insert(BytesOf(r.service.key)).second) {
      keys.push_back(r.service.key);
      sink->OnService(r.service);
    }
    return 0;
  });
  if (!o.ok()) return o;
  Request dests;
  dests.cmd = IPVS_CMD_GET_DEST;
  dests.dump = true;
  dests.hasService = true;
  std::vector<Destination> destinations;
  for (size_t i = 0; i < keys.size(); i++) {
    // Answers ready at once never make a query read the clock (a system call in user-mode Linux).
    if (i % 64 == 63 && Channel::Clock::now() >= deadline) return Outcome::Fail(ETIMEDOUT, "waiting for the kernel");
    // The dumped service's key asks for its destinations, as it came.
    dests.service.key = keys[i];
    destinations.clear();
    seen.clear();
    o = channel.QueryEach(dests, deadline, withStats, [&](Record& r) {
      if (r.hasDestination && seen.insert(BytesOf(r.destination)).second) destinations.push_back(std::move(r.destination));
      return 0;
    });
    if (!o.ok()) return o;
    sink->OnDestinations(i, destinations);
  }
  return Outcome::Ok();
}

namespace {

class EntrySink : public TableSink {
 public:
  explicit EntrySink(std::vector<TableEntry>* table) : table_(table) {}
  void OnService(Service& service) override { table_->push_back({std::move(service), {}}); }
  void OnDestinations(size_t service, std::vector<Destination>& destinations) override {
    (*table_)[service].destinations = destinations;
  }

 private:
  std::vector<TableEntry>* table_;
};

}  // namespace

Outcome ReadTable(Channel& channel, Channel::Clock::time_point deadline, bool withStats,
                  std::vector<TableEntry>* table) {
  table->clear();
  EntrySink sink(table);
  return ReadTable(channel, deadline, withStats, &sink);
}

}  // namespace ipvs
