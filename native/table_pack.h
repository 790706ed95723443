// A table reading packed for one crossing into JS (apply's reading): per
// service kServiceWords words, then kDestinationWords per destination; texts
// (addresses, scheduler and engine names) as indices into `strings`, each text
// once. lib/table/packed.ts reads it; the layout is spelled out there too.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "table_read.h"

namespace ipvs {

struct PackedTable {
  std::vector<uint32_t> words;
  std::vector<std::string> strings;
};
constexpr uint32_t kServiceWords = 11;
constexpr uint32_t kDestinationWords = 14;
constexpr uint32_t kNoText = 0xffffffff;

// Packs as ReadTable reads, on the worker thread. A service's words wait
// (kServiceWords each) until its destinations come, whose count they hold.
class TablePacker : public TableSink {
 public:
  // expectWords: the size of the client's last reading. The words are reserved
  // once the services are known, at least that and room for 8 destinations a
  // service, so they are written once, not copied as they grow: a reservation
  // costs no memory until written (a large allocation is mapped on demand).
  TablePacker(PackedTable* out, size_t expectWords);
  void OnService(Service& service) override;
  void OnDestinations(size_t service, std::vector<Destination>& destinations) override;

 private:
  uint32_t Text(const std::string& text);

  PackedTable* out_;
  size_t expectWords_;
  std::vector<uint32_t> services_;
  std::unordered_map<std::string, uint32_t> texts_;
};

}  // namespace ipvs
