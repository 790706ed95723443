// The result of a native operation: 0 or a positive errno, plus what was
// being done when it failed, for the JS error's message.
#pragma once

#include <string>

namespace ipvs {

struct Outcome {
  int err = 0;
  std::string stage;  // e.g. "resolving the IPVS generic netlink family"

  static Outcome Ok() { return Outcome(); }
  static Outcome Fail(int err, std::string stage) {
    Outcome o;
    o.err = err;
    o.stage = std::move(stage);
    return o;
  }
  bool ok() const { return err == 0; }
};

}  // namespace ipvs
