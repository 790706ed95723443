#include "table_pack.h"

#include <algorithm>

#include "ipvs_message.h"

namespace ipvs {

TablePacker::TablePacker(PackedTable* out, size_t expectWords) : out_(out), expectWords_(expectWords) {
  out_->words.clear();
  out_->strings.clear();
}

uint32_t TablePacker::Text(const std::string& text) {
  auto [it, added] = texts_.try_emplace(text, static_cast<uint32_t>(out_->strings.size()));
  if (added) out_->strings.push_back(text);
  return it->second;
}

void TablePacker::OnService(Service& s) {
  const bool fwmark = s.key.fwmark != 0;
  const uint32_t words[kServiceWords] = {
      s.key.family, s.key.protocol, s.key.fwmark, fwmark ? kNoText : Text(FormatAddress(s.key.address)),
      fwmark ? 0u : s.key.port, Text(s.scheduler), Text(s.persistenceEngine), s.flags, s.timeout,
      s.netmask, 0};  // the destination count, once known
  services_.insert(services_.end(), words, words + kServiceWords);
}

void TablePacker::OnDestinations(size_t service, std::vector<Destination>& destinations) {
  if (service == 0) {
    size_t services = services_.size() / kServiceWords;
    out_->words.reserve(std::max(expectWords_, services * (kServiceWords + 8 * kDestinationWords)));
  }
  const uint32_t* s = &services_[service * kServiceWords];
  out_->words.insert(out_->words.end(), s, s + kServiceWords);
  out_->words.back() = static_cast<uint32_t>(destinations.size());
  for (const Destination& d : destinations) {
    const uint32_t words[kDestinationWords] = {
        d.address.family, Text(FormatAddress(d.address)), d.port, d.forwarding, d.weight,
        d.upperThreshold, d.lowerThreshold, d.activeConns, d.inactiveConns, d.persistentConns,
        d.hasTunnel ? 1u : 0u, d.tunnelType, d.tunnelPort, d.tunnelFlags};
    out_->words.insert(out_->words.end(), words, words + kDestinationWords);
  }
}

}  // namespace ipvs
