// Conversions between JS values and the plain structs of ipvs_types.h. They
// run on the JS thread, before a worker starts and after it ends. The TS
// layer validates first; these re-check cheaply and throw TypeError.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ipvs_types.h"
#include "outcome.h"
#include "table_pack.h"

namespace ipvs {

Request RequestFromJs(const Napi::Value& value);
Napi::Object RecordToJs(Napi::Env env, const Record& record);
// [{ service, destinations: [...] }]: the service and destination objects of RecordToJs.
Napi::Array TableToJs(Napi::Env env, const std::vector<TableEntry>& table);
// { words: Uint32Array, strings: string[] }: the words handed over, not copied
// (2.7 MB for 10,000 × 4; a copy is as many fresh pages again).
Napi::Object PackedTableToJs(Napi::Env env, PackedTable* packed);
// An Error with the errno as `errno` and what was being done as `stage`;
// lib/errors.ts turns it into an IpvsError.
Napi::Error OutcomeToJs(Napi::Env env, const Outcome& outcome);

}  // namespace ipvs
