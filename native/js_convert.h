// Conversions between JS values and the plain structs of ipvs_types.h. They
// run on the JS thread, before a worker starts and after it ends. The TS
// layer validates first; these re-check cheaply and throw TypeError.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ipvs_types.h"
#include "outcome.h"

namespace ipvs {

Request RequestFromJs(const Napi::Value& value);
Napi::Object RecordToJs(Napi::Env env, const Record& record);
// [{ service, destinations: [...] }]: the service and destination objects of RecordToJs.
Napi::Array TableToJs(Napi::Env env, const std::vector<TableEntry>& table);
// A table listing packed for one crossing into JS (PackTable runs on the worker
// thread): per service kServiceWords words, then kDestinationWords per destination;
// texts (addresses, scheduler and engine names) as indices into `strings`, each
// text once. lib/table/packed.ts reads it; the layout is spelled out there too.
struct PackedTable {
  std::vector<uint32_t> words;
  std::vector<std::string> strings;
};
constexpr uint32_t kServiceWords = 11;
constexpr uint32_t kDestinationWords = 14;
constexpr uint32_t kNoText = 0xffffffff;
void PackTable(const std::vector<TableEntry>& table, PackedTable* out);
// { words: Uint32Array, strings: string[] }
Napi::Object PackedTableToJs(Napi::Env env, const PackedTable& packed);
// An Error with the errno as `errno` and what was being done as `stage`;
// lib/errors.ts turns it into an IpvsError.
Napi::Error OutcomeToJs(Napi::Env env, const Outcome& outcome);

}  // namespace ipvs
