#include "wal/group_commit.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "util/thread_name.h"
#include "wal/log_format.h"
#include "wal/segment.h"

namespace strata::wal {

Result<std::unique_ptr<WalWriter>> WalWriter::Open(const WalOptions& options,
                                                   int64_t last_system_time_ns) {
  if (options.env == nullptr || options.dir.empty()) {
    return Status::InvalidArgument("wal: options need an env and a directory");
  }
  STRATA_RETURN_IF_ERROR(options.env->CreateDirs(options.dir));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(*options.env, options.dir));
  // Never append to an old segment: its tail may have been cut by recovery, and a fresh file
  // keeps "one writer session = whole segments" simple to reason about.
  const uint64_t number = segments.empty() ? 1 : segments.back() + 1;

  // The constructor is private (Open is the only way in), so make_unique cannot reach it.
  std::unique_ptr<WalWriter> writer(new WalWriter(options, last_system_time_ns));
  STRATA_RETURN_IF_ERROR(writer->OpenSegment(number));
  writer->last_sync_ = std::chrono::steady_clock::now();
  writer->thread_ = std::thread([w = writer.get()] {
    SetCurrentThreadName("strata-wal");
    w->Run();
  });
  return writer;
}

WalWriter::WalWriter(const WalOptions& options, int64_t last_system_time_ns)
    : options_(options),
      last_system_time_(last_system_time_ns),
      // Everything up to the recovered high-water mark is already on disk.
      synced_upto_(last_system_time_ns),
      written_upto_(last_system_time_ns) {}

WalWriter::~WalWriter() {
  Close().IgnoreError();  // the owner that cares about the result calls Close itself
}

Status WalWriter::OpenSegment(uint64_t number) {
  const std::string path = SegmentPath(options_.dir, number);
  auto file = options_.env->NewWritableFile(path);
  if (!file.ok()) return file.status().WithContext("wal: create segment");
  // The new name must survive a crash, or records acknowledged into it would vanish with it.
  STRATA_RETURN_IF_ERROR(options_.env->SyncDir(options_.dir).WithContext("wal: sync dir"));
  log_ = std::make_unique<LogWriter>(std::move(file).value());
  MutexLock lock(&mu_);
  segment_number_ = number;
  return Status::OK();
}

Result<int64_t> WalWriter::Append(std::string payload, CommitCallback done) {
  if (payload.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument(fmt::format("wal record of {} bytes exceeds the limit of {}",
                                               payload.size(), kMaxPayloadBytes));
  }
  const uint64_t bytes = payload.size() + kHeaderSize;
  MutexLock lock(&mu_);
  // An empty queue always admits one record, so a record larger than the budget cannot wait
  // forever.
  while (error_.ok() && !closing_ && !queue_.empty() &&
         queued_bytes_ + bytes > options_.max_queued_bytes) {
    ++blocked_appenders_;
    space_cv_.Wait();
    --blocked_appenders_;
  }
  if (!error_.ok()) return error_;
  if (closing_) return Status::Unavailable("wal writer is closed");
  // Taken under mu_ together with the enqueue, so queue order is system-time order; the +1
  // keeps times strictly increasing when the wall clock stalls or jumps back.
  const int64_t system_time = std::max(options_.env->NowNanos(), last_system_time_ + 1);
  last_system_time_ = system_time;
  queued_bytes_ += bytes;
  queue_.push_back(Pending{system_time, std::move(payload), std::move(done)});
  work_cv_.Signal();
  return system_time;
}

Status WalWriter::Sync() {
  MutexLock lock(&mu_);
  const int64_t target = last_system_time_;
  if (!error_.ok()) return error_;
  if (synced_upto_ >= target) return Status::OK();
  ++sync_requests_;
  work_cv_.Signal();
  while (synced_upto_ < target && error_.ok()) synced_cv_.Wait();
  --sync_requests_;
  return synced_upto_ >= target ? Status::OK() : error_;
}

Status WalWriter::Close() {
  {
    MutexLock lock(&mu_);
    closing_ = true;
    work_cv_.Signal();
    space_cv_.SignalAll();
  }
  // The thread drains and syncs the queue before it exits; after join, log_ is ours.
  if (thread_.joinable()) thread_.join();
  Status close_status;
  if (log_ != nullptr) {
    close_status = log_->Close();
    log_.reset();
  }
  MutexLock lock(&mu_);
  if (!close_status.ok()) Fail(close_status.WithContext("wal: close segment"));
  return error_;
}

uint64_t WalWriter::current_segment() const {
  MutexLock lock(&mu_);
  return segment_number_;
}

int64_t WalWriter::last_system_time() const {
  MutexLock lock(&mu_);
  return last_system_time_;
}

void WalWriter::AdoptClosedSegment(uint64_t number, int64_t last_system_time_ns) {
  MutexLock lock(&mu_);
  closed_segments_.push_back({number, last_system_time_ns});
  std::sort(closed_segments_.begin(), closed_segments_.end(),
            [](const ClosedSegment& a, const ClosedSegment& b) { return a.number < b.number; });
}

std::vector<WalWriter::ClosedSegment> WalWriter::ClosedSegments() const {
  MutexLock lock(&mu_);
  return closed_segments_;
}

Status WalWriter::DeleteSegmentsCoveredBy(int64_t checkpoint_ns) {
  std::vector<ClosedSegment> doomed;
  {
    MutexLock lock(&mu_);
    // Oldest first, and stop at the first segment still needed: recovery replays a contiguous
    // run of segments, so a gap would be indistinguishable from a lost segment.
    size_t n = 0;
    while (n < closed_segments_.size() &&
           closed_segments_[n].last_system_time_ns <= checkpoint_ns) {
      ++n;
    }
    doomed.assign(closed_segments_.begin(), closed_segments_.begin() + n);
    closed_segments_.erase(closed_segments_.begin(), closed_segments_.begin() + n);
  }
  for (const ClosedSegment& segment : doomed) {
    STRATA_RETURN_IF_ERROR(options_.env->RemoveFile(SegmentPath(options_.dir, segment.number)));
  }
  if (!doomed.empty()) STRATA_RETURN_IF_ERROR(options_.env->SyncDir(options_.dir));
  return Status::OK();
}

void WalWriter::Fail(const Status& error) {
  if (error_.ok()) error_ = error;
  space_cv_.SignalAll();
  synced_cv_.SignalAll();
  work_cv_.Signal();
}

size_t WalWriter::WriteBatch(const std::deque<Pending>& batch, bool sync, int64_t* written_upto,
                             int64_t* synced_upto, Status* status) {
  size_t written = 0;
  size_t durable = 0;
  Status s;
  for (const Pending& p : batch) {
    s = log_->AddRecord(p.system_time_ns, p.payload);
    if (!s.ok()) break;
    ++written;
    *written_upto = p.system_time_ns;
    if (log_->size() < options_.segment_bytes) continue;
    // Rotate: the old segment is complete and durable before the next one exists, so only the
    // newest segment can ever end in a torn record (recovery relies on this).
    s = log_->Sync();
    if (!s.ok()) break;
    durable = written;
    *synced_upto = *written_upto;
    last_sync_ = std::chrono::steady_clock::now();
    s = SwitchSegment(*written_upto);
    if (!s.ok()) break;
  }
  if (s.ok() && sync && *written_upto > *synced_upto) {
    s = log_->Sync();
    if (s.ok()) {
      durable = written;
      *synced_upto = *written_upto;
      last_sync_ = std::chrono::steady_clock::now();
    }
  }
  *status = s;
  // kAlways promises durability; the other policies acknowledge once write(2) returned.
  return options_.fsync == FsyncPolicy::kAlways ? durable : written;
}

Status WalWriter::SwitchSegment(int64_t written_upto) {
  Status closed = log_->Close();
  log_.reset();  // Close must not close it twice should the next segment fail to open
  STRATA_RETURN_IF_ERROR(closed);
  uint64_t next;
  {
    MutexLock lock(&mu_);
    closed_segments_.push_back({segment_number_, written_upto});
    next = segment_number_ + 1;
  }
  return OpenSegment(next);
}

Status WalWriter::Rotate() {
  MutexLock lock(&mu_);
  const uint64_t ticket = ++rotate_requests_;
  work_cv_.Signal();
  while (rotations_done_ < ticket && error_.ok() && !closing_) synced_cv_.Wait();
  if (!error_.ok()) return error_;
  if (rotations_done_ < ticket) return Status::Unavailable("wal writer is closed");
  return Status::OK();
}

void WalWriter::Run() {
  // Locked by hand, not with MutexLock: the loop drops mu_ around I/O and callbacks.
  mu_.Lock();
  while (true) {
    // Wait for records, a Sync request, Close, or (kInterval) unsynced data coming due.
    bool interval_due = false;
    while (queue_.empty() && !closing_ && rotate_requests_ == rotations_done_) {
      const bool unsynced = error_.ok() && written_upto_ > synced_upto_;
      if (unsynced && sync_requests_ > 0) break;
      if (unsynced && options_.fsync == FsyncPolicy::kInterval) {
        const auto due = last_sync_ + options_.fsync_interval;
        const auto now = std::chrono::steady_clock::now();
        if (now >= due) {
          interval_due = true;
          break;
        }
        // Timed, so an idle writer still syncs what it wrote within the interval.
        work_cv_.WaitFor(std::chrono::duration_cast<std::chrono::nanoseconds>(due - now));
      } else {
        work_cv_.Wait();
      }
    }

    if (!error_.ok()) {
      // Failed earlier: complete whatever is still queued with the stored error.
      std::deque<Pending> failed;
      failed.swap(queue_);
      queued_bytes_ = 0;
      space_cv_.SignalAll();
      synced_cv_.SignalAll();
      const Status error = error_;
      const bool stop = closing_;
      mu_.Unlock();
      for (Pending& p : failed) {
        if (p.done) p.done(error, p.system_time_ns, p.payload);
      }
      mu_.Lock();
      if (stop && queue_.empty()) break;
      continue;
    }

    std::deque<Pending> batch;
    batch.swap(queue_);
    queued_bytes_ = 0;
    space_cv_.SignalAll();
    const bool closing = closing_;
    if (options_.fsync == FsyncPolicy::kInterval && !interval_due) {
      interval_due = std::chrono::steady_clock::now() >= last_sync_ + options_.fsync_interval;
    }
    const bool sync =
        options_.fsync == FsyncPolicy::kAlways || sync_requests_ > 0 || closing || interval_due;
    int64_t written_upto = written_upto_;
    int64_t synced_upto = synced_upto_;
    mu_.Unlock();

    Status s;
    const size_t acked = WriteBatch(batch, sync, &written_upto, &synced_upto, &s);

    mu_.Lock();
    written_upto_ = written_upto;
    synced_upto_ = synced_upto;
    if (!s.ok()) Fail(s.WithContext("wal write"));
    const Status error = error_;
    mu_.Unlock();
    // In system-time order, outside mu_ so a callback may Append again.
    for (size_t i = 0; i < batch.size(); ++i) {
      Pending& p = batch[i];
      if (p.done) p.done(i < acked ? Status::OK() : error, p.system_time_ns, p.payload);
    }
    mu_.Lock();
    if (rotate_requests_ > rotations_done_ && error_.ok() && !closing_) {
      // Everything queued before the request is written (and its callbacks ran): close the
      // segment here, so it holds exactly the records before the request.
      const uint64_t requests = rotate_requests_;
      const int64_t last = written_upto_;
      mu_.Unlock();
      Status rotated = log_->Sync();
      if (rotated.ok()) last_sync_ = std::chrono::steady_clock::now();
      const bool synced = rotated.ok();
      if (synced) rotated = SwitchSegment(last);
      mu_.Lock();
      if (synced) synced_upto_ = std::max(synced_upto_, last);
      if (rotated.ok()) {
        rotations_done_ = requests;
      } else {
        Fail(rotated.WithContext("wal rotate"));
      }
    }
    synced_cv_.SignalAll();
    // With closing seen before the batch, everything written has been synced; stop once nothing
    // new arrived meanwhile (late Appends are refused, but a blocked one may have slipped in).
    if (closing && queue_.empty() && error_.ok()) break;
  }
  mu_.Unlock();
}

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view text, std::chrono::milliseconds* interval) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "always") return FsyncPolicy::kAlways;
  if (lower == "off") return FsyncPolicy::kOff;

  const auto invalid = [&] {
    return Status::InvalidArgument(
        fmt::format("invalid fsync policy '{}': expected 'always', 'off' or an interval of 1ms "
                    "to 24h written as <n>ms or <n>s (e.g. '200ms', '1s')",
                    text));
  };
  uint64_t value = 0;
  const char* begin = lower.data();
  const char* end = lower.data() + lower.size();
  const auto [unit, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || unit == begin) return invalid();
  const std::string_view suffix(unit, static_cast<size_t>(end - unit));
  uint64_t millis;
  if (suffix == "ms") {
    millis = value;
  } else if (suffix == "s") {
    if (value > UINT64_MAX / 1000) return invalid();
    millis = value * 1000;
  } else {
    return invalid();
  }
  // Bounded so the writer's deadline arithmetic cannot overflow; longer is no policy at all.
  constexpr uint64_t kMaxMillis = 24ull * 3600 * 1000;
  if (millis == 0 || millis > kMaxMillis) return invalid();
  if (interval != nullptr) *interval = std::chrono::milliseconds(static_cast<int64_t>(millis));
  return FsyncPolicy::kInterval;
}

}  // namespace strata::wal
