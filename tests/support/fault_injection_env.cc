#include "tests/support/fault_injection_env.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

namespace strata::testing {
namespace {

const char* OpName(FaultInjectionEnv::Op op) {
  switch (op) {
    case FaultInjectionEnv::Op::kAppend:
      return "append";
    case FaultInjectionEnv::Op::kSync:
      return "sync";
    case FaultInjectionEnv::Op::kCreate:
      return "create";
    case FaultInjectionEnv::Op::kRename:
      return "rename";
    case FaultInjectionEnv::Op::kTruncate:
      return "truncate";
    case FaultInjectionEnv::Op::kRemove:
      return "remove";
    case FaultInjectionEnv::Op::kSyncDir:
      return "sync dir";
  }
  return "?";
}

size_t Index(FaultInjectionEnv::Op op) { return static_cast<size_t>(op); }

}  // namespace

// Forwards to the base file and reports appends and syncs to the Env, which keeps the state.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override { return env_->FileAppend(path_, *base_, data); }
  Status Sync() override { return env_->FileSync(path_, *base_); }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

void FaultInjectionEnv::FailAfter(Op op, uint64_t ok_calls) {
  MutexLock lock(&mu_);
  faults_[Index(op)] = Fault{ok_calls, /*sticky=*/true};
}

void FaultInjectionEnv::FailOnce(Op op, uint64_t ok_calls) {
  MutexLock lock(&mu_);
  faults_[Index(op)] = Fault{ok_calls, /*sticky=*/false};
}

void FaultInjectionEnv::SetShortWrite(uint64_t ok_appends, size_t bytes) {
  MutexLock lock(&mu_);
  short_write_after_ = ok_appends;
  short_write_bytes_ = bytes;
}

void FaultInjectionEnv::ClearFaults() {
  MutexLock lock(&mu_);
  for (auto& fault : faults_) fault.reset();
  short_write_after_.reset();
}

void FaultInjectionEnv::SetSyncHook(std::function<void(const std::string& path)> hook) {
  MutexLock lock(&mu_);
  sync_hook_ = std::move(hook);
}

void FaultInjectionEnv::SetNowNanos(int64_t now_ns) {
  MutexLock lock(&mu_);
  now_ns_ = now_ns;
}

void FaultInjectionEnv::ClearNowNanos() {
  MutexLock lock(&mu_);
  now_ns_.reset();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  MutexLock lock(&mu_);
  Status first_error;
  for (auto& [path, state] : files_) {
    if (state.size == state.synced_size) continue;
    Status s = base_->TruncateFile(path, state.synced_size);
    if (!s.ok() && !s.IsNotFound() && first_error.ok()) first_error = s;
    state.size = state.synced_size;
  }
  return first_error;
}

Status FaultInjectionEnv::SimulateCrash() {
  {
    MutexLock lock(&mu_);
    active_ = false;
    ++crashes_;
  }
  return DropUnsyncedData();
}

void FaultInjectionEnv::Reactivate() {
  MutexLock lock(&mu_);
  active_ = true;
}

uint64_t FaultInjectionEnv::count(Op op) const {
  MutexLock lock(&mu_);
  return counts_[Index(op)];
}

uint64_t FaultInjectionEnv::UnsyncedBytes(const std::string& path) const {
  MutexLock lock(&mu_);
  auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second.size - it->second.synced_size;
}

Status FaultInjectionEnv::Check(Op op, const std::string& what) {
  ++counts_[Index(op)];
  if (!active_) {
    return Status::IOError(
        fmt::format("{} {}: file system inactive (simulated crash)", OpName(op), what));
  }
  std::optional<Fault>& fault = faults_[Index(op)];
  if (!fault.has_value()) return Status::OK();
  if (fault->ok_calls > 0) {
    --fault->ok_calls;
    return Status::OK();
  }
  if (!fault->sticky) fault.reset();
  return Status::IOError(fmt::format("injected {} failure: {}", OpName(op), what));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::Track(
    const std::string& path, Result<std::unique_ptr<WritableFile>> base_file) {
  if (!base_file.ok()) return base_file.status();
  const uint64_t size = (*base_file)->Size();
  {
    MutexLock lock(&mu_);
    auto [it, inserted] = files_.try_emplace(path);
    // A newly created (or truncated) file starts empty and unsynced; an existing one reopened
    // for append keeps what is known about it, and an untracked one counts as synced.
    if (inserted || size == 0) it->second = FileState{size, size};
  }
  return std::unique_ptr<WritableFile>(
      std::make_unique<File>(this, path, std::move(base_file).value()));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(Check(Op::kCreate, path));
  }
  return Track(path, base_->NewWritableFile(path));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(Check(Op::kCreate, path));
  }
  return Track(path, base_->NewAppendableFile(path));
}

Status FaultInjectionEnv::FileAppend(const std::string& path, WritableFile& base,
                                     std::string_view data) {
  // The base append happens under mu_ so a concurrent SimulateCrash sees either all of it or
  // none of it.
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(Check(Op::kAppend, path));
  FileState& state = files_[path];
  if (short_write_after_.has_value()) {
    if (*short_write_after_ == 0) {
      short_write_after_.reset();
      const std::string_view part = data.substr(0, std::min(short_write_bytes_, data.size()));
      Status s = base.Append(part);
      if (s.ok()) state.size += part.size();
      return Status::IOError(fmt::format("injected short write: {} of {} bytes to {}", part.size(),
                                         data.size(), path));
    }
    --*short_write_after_;
  }
  Status s = base.Append(data);
  if (s.ok()) state.size += data.size();
  return s;
}

Status FaultInjectionEnv::FileSync(const std::string& path, WritableFile& base) {
  std::function<void(const std::string&)> hook;
  {
    MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  // Before the fault check, so a test can hold a sync that is about to fail, too.
  if (hook) hook(path);
  uint64_t size_at_start;
  uint64_t crashes_at_start;
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(Check(Op::kSync, path));
    size_at_start = files_[path].size;
    crashes_at_start = crashes_;
  }
  STRATA_RETURN_IF_ERROR(base.Sync());
  MutexLock lock(&mu_);
  if (crashes_ != crashes_at_start || !active_) {
    return Status::IOError(fmt::format("sync {}: interrupted by a simulated crash", path));
  }
  FileState& state = files_[path];
  state.synced_size = std::max(state.synced_size, std::min(size_at_start, state.size));
  return Status::OK();
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  return base_->NewRandomAccessFile(path);
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  return base_->GetChildren(dir);
}

Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(Check(Op::kCreate, dir));
  }
  return base_->CreateDirs(dir);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(Check(Op::kRemove, path));
  STRATA_RETURN_IF_ERROR(base_->RemoveFile(path));
  files_.erase(path);
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(Check(Op::kRename, from));
  STRATA_RETURN_IF_ERROR(base_->RenameFile(from, to));
  files_.erase(to);
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = it->second;
    files_.erase(it);
  }
  return Status::OK();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  MutexLock lock(&mu_);
  STRATA_RETURN_IF_ERROR(Check(Op::kTruncate, path));
  STRATA_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second.size = std::min(it->second.size, size);
    it->second.synced_size = std::min(it->second.synced_size, size);
  }
  return Status::OK();
}

Result<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  {
    MutexLock lock(&mu_);
    STRATA_RETURN_IF_ERROR(Check(Op::kSyncDir, dir));
  }
  return base_->SyncDir(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

int64_t FaultInjectionEnv::NowNanos() {
  {
    MutexLock lock(&mu_);
    if (now_ns_.has_value()) return *now_ns_;
  }
  return base_->NowNanos();
}

}  // namespace strata::testing
