// The N-API edge of one IPVS client: a JS object owning a Channel. Each call
// copies its JS arguments into plain structs, runs the exchange on a libuv
// worker thread and settles a Promise on the JS thread.
#pragma once

#include <napi.h>

#include <memory>

#include "nl_channel.h"

namespace ipvs {

class Client : public Napi::ObjectWrap<Client> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Client(const Napi::CallbackInfo& info);
  ~Client() override;

  // Used by the open worker when it finishes on the JS thread.
  void Attach(std::shared_ptr<Channel> channel);
  bool closed() const { return closed_; }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);     // (nsPath, timeoutMs) => Promise<void>
  Napi::Value Execute(const Napi::CallbackInfo& info);  // (requests[], timeoutMs) => Promise<Int32Array>
  Napi::Value Query(const Napi::CallbackInfo& info);    // (request, timeoutMs) => Promise<Record[]>
  Napi::Value GetTable(const Napi::CallbackInfo& info);  // (timeoutMs, withStats) => Promise<TableEntry[]>
  Napi::Value GetTablePacked(const Napi::CallbackInfo& info);  // (timeoutMs) => Promise<{ words, strings }>
  Napi::Value Close(const Napi::CallbackInfo& info);    // () => void, idempotent
  Napi::Value Family(const Napi::CallbackInfo& info);   // () => number (0 before open)

  std::shared_ptr<Channel> ChannelOrThrow(Napi::Env env);
  void Shutdown();
  static void CleanupHook(void* self);

  napi_env env_;
  std::shared_ptr<Channel> channel_;
  bool closed_ = false;
  size_t packedWords_ = 0;  // the last packed reading's size (PackedTableWorker)
};

}  // namespace ipvs
