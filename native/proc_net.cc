#include "proc_net.h"

#include <chrono>
#include <string>
#include <vector>

#include "proc_net_read.h"
#include "promise_worker.h"

namespace ipvs {
namespace {

constexpr uint32_t kMaxTimeoutMs = 0x7fffffff;

class ReadProcNetWorker : public PromiseWorker {
 public:
  ReadProcNetWorker(Napi::Object receiver, std::string nsPath, std::vector<std::string> names, uint32_t timeoutMs)
      : PromiseWorker(receiver, "ipvs:readProcNet"), nsPath_(std::move(nsPath)), names_(std::move(names)),
        deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs)) {}

 protected:
  Outcome Run() override { return ReadConnectionFiles(nsPath_, names_, deadline_, &contents_); }

  Napi::Value Result() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, contents_.size());
    for (size_t i = 0; i < contents_.size(); i++)
      out.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, contents_[i].data(), contents_[i].size()));
    return out;
  }

 private:
  std::string nsPath_;
  std::vector<std::string> names_;
  std::chrono::steady_clock::time_point deadline_;
  std::vector<std::string> contents_;
};

}  // namespace

Napi::Value ReadProcNetJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "readProcNet(nsPath | null, names, timeoutMs)";
  std::string nsPath;
  if (info[0].IsString()) {
    nsPath = info[0].As<Napi::String>().Utf8Value();
    if (nsPath.empty() || nsPath.find('\0') != std::string::npos)
      throw Napi::TypeError::New(env, std::string(usage) + ": nsPath must be a non-empty path");
  } else if (!info[0].IsNull()) {
    throw Napi::TypeError::New(env, std::string(usage) + ": nsPath must be a string or null");
  }
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, std::string(usage) + ": names must be an array");
  Napi::Array list = info[1].As<Napi::Array>();
  if (list.Length() == 0 || list.Length() > 2) throw Napi::TypeError::New(env, std::string(usage) + ": one or two names");
  std::vector<std::string> names;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsString() || !IsIpvsProcFileName(v.As<Napi::String>().Utf8Value()))
      throw Napi::TypeError::New(env, std::string(usage) + ": names must be ip_vs_conn, ip_vs_conn_sync or ip_vs_stats");
    names.push_back(v.As<Napi::String>().Utf8Value());
  }
  if (!info[2].IsNumber()) throw Napi::TypeError::New(env, std::string(usage) + ": timeoutMs must be a number");
  double t = info[2].As<Napi::Number>().DoubleValue();
  if (!(t >= 1 && t <= kMaxTimeoutMs)) throw Napi::TypeError::New(env, std::string(usage) + ": timeoutMs out of range");
  auto* worker = new ReadProcNetWorker(Napi::Object::New(env), nsPath, std::move(names), static_cast<uint32_t>(t));
  worker->Queue();
  return worker->Promise();
}

}  // namespace ipvs
