#include "host_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "netns.h"
#include "promise_worker.h"

namespace ipvs {
namespace {

class OpenInNetnsWorker : public PromiseWorker {
 public:
  OpenInNetnsWorker(Napi::Object receiver, std::string nsPath, std::string path, bool writable)
      : PromiseWorker(receiver, "ipvs:openInNetns"), nsPath_(std::move(nsPath)), path_(std::move(path)),
        writable_(writable) {}

 protected:
  Outcome Run() override {
    int nsFd = -1;
    Outcome o = OpenNetnsFile(nsPath_, &nsFd);
    if (!o.ok()) return o;
    o = RunInNetns(nsFd, [this]() {
      fd_ = open(path_.c_str(), (writable_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
      return fd_ < 0 ? Outcome::Fail(errno, "opening " + path_) : Outcome::Ok();
    });
    close(nsFd);
    return o;
  }
  Napi::Value Result() override { return Napi::Number::New(Env(), fd_); }

 private:
  std::string nsPath_;
  std::string path_;
  bool writable_;
  int fd_ = -1;
};

}  // namespace

Napi::Value OpenInNetnsJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(info.Env(), "openInNetns(nsPath, path, writable): paths must be strings");
  std::string path = info[1].As<Napi::String>().Utf8Value();
  // Only settings files: this is not a general way into another namespace's files.
  if (path.rfind("/proc/sys/", 0) != 0 || path.find("/../") != std::string::npos)
    throw Napi::TypeError::New(info.Env(), "openInNetns: only files under /proc/sys/");
  auto* worker = new OpenInNetnsWorker(Napi::Object::New(info.Env()), info[0].As<Napi::String>().Utf8Value(), path,
                                       info[2].ToBoolean().Value());
  worker->Queue();
  return worker->Promise();
}

}  // namespace ipvs
