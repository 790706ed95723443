#include "proc_net.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "netns.h"
#include "promise_worker.h"

namespace ipvs {
namespace {

using Clock = std::chrono::steady_clock;

// A connection line is under 300 bytes; 512 MiB is some 2 million entries,
// past the largest table a director holds. Beyond it: EFBIG, not an OOM.
constexpr size_t kMaxBytes = size_t{512} << 20;
constexpr size_t kChunk = size_t{1} << 20;
constexpr uint32_t kMaxTimeoutMs = 0x7fffffff;

bool AllowedName(const std::string& name) { return name == "ip_vs_conn" || name == "ip_vs_conn_sync"; }

class ReadProcNetWorker : public PromiseWorker {
 public:
  ReadProcNetWorker(Napi::Object receiver, std::string nsPath, std::vector<std::string> names, uint32_t timeoutMs)
      : PromiseWorker(receiver, "ipvs:readProcNet"), nsPath_(std::move(nsPath)), names_(std::move(names)),
        deadline_(Clock::now() + std::chrono::milliseconds(timeoutMs)) {}

 protected:
  Outcome Run() override {
    if (nsPath_.empty()) return ReadAll();
    int nsFd = -1;
    Outcome o = OpenNetnsFile(nsPath_, &nsFd);
    if (!o.ok()) return o;
    o = RunInNetns(nsFd, [this]() { return ReadAll(); });
    close(nsFd);
    return o;
  }

  Napi::Value Result() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, contents_.size());
    for (size_t i = 0; i < contents_.size(); i++)
      out.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, contents_[i].data(), contents_[i].size()));
    return out;
  }

 private:
  Outcome ReadAll() {
    for (const std::string& name : names_) {
      contents_.emplace_back();
      Outcome o = ReadOne(name, &contents_.back());
      if (!o.ok()) return o;
    }
    return Outcome::Ok();
  }

  // /proc/net is /proc/self/net, which follows the thread group leader's
  // namespace; thread-self follows this thread's, the one setns() moved.
  Outcome ReadOne(const std::string& name, std::string* out) {
    const std::string path = "/proc/thread-self/net/" + name;
    const std::string shown = "/proc/net/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return Outcome::Fail(errno, "opening " + shown);
    std::vector<char> buf(kChunk);
    Outcome result = Outcome::Ok();
    for (;;) {
      if (Clock::now() >= deadline_) {
        result = Outcome::Fail(ETIMEDOUT, "reading " + shown);
        break;
      }
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        result = Outcome::Fail(errno, "reading " + shown);
        break;
      }
      if (n == 0) break;
      if (out->size() + static_cast<size_t>(n) > kMaxBytes) {
        result = Outcome::Fail(EFBIG, "reading " + shown + " (larger than 512 MiB)");
        break;
      }
      out->append(buf.data(), static_cast<size_t>(n));
    }
    close(fd);
    return result;
  }

  std::string nsPath_;
  std::vector<std::string> names_;
  Clock::time_point deadline_;
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
    if (!v.IsString() || !AllowedName(v.As<Napi::String>().Utf8Value()))
      throw Napi::TypeError::New(env, std::string(usage) + ": names must be ip_vs_conn or ip_vs_conn_sync");
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
