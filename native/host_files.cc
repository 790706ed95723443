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

// A settings file under /proc/sys/net/ named without "", "." or ".."
// components, so the path cannot climb out to another file.
bool IsNetSetting(const std::string& path) {
  static const std::string kPrefix = "/proc/sys/net/";
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  size_t start = kPrefix.size();
  while (true) {
    size_t end = path.find('/', start);
    std::string part = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

}  // namespace

Napi::Value OpenInNetnsJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(info.Env(), "openInNetns(nsPath, path, writable): paths must be strings");
  std::string path = info[1].As<Napi::String>().Utf8Value();
  // Only settings files: this is not a general way into another namespace's
  // files. The TS layer validates first; this is the defence behind it, with
  // an errno (EINVAL) the caller can branch on like any other refusal.
  if (!IsNetSetting(path))
    throw OutcomeToJs(info.Env(), Outcome::Fail(EINVAL, "openInNetns: only files under /proc/sys/net/, got " + path.substr(0, 200)));
  auto* worker = new OpenInNetnsWorker(Napi::Object::New(info.Env()), info[0].As<Napi::String>().Utf8Value(), path,
                                       info[2].ToBoolean().Value());
  worker->Queue();
  return worker->Promise();
}

}  // namespace ipvs
