#include "wal/recovery.h"

#include <fmt/core.h>

#include <optional>
#include <string_view>

#include "util/logging.h"
#include "wal/segment.h"

namespace strata::wal {
namespace {

// Remembers the bad tail the reader met, so the caller decides whether it is a torn write to
// cut (last segment) or corruption to refuse (earlier segment).
class TailRecorder final : public LogReader::Reporter {
 public:
  void BadTail(uint64_t at, uint64_t length, std::string_view why) override {
    seen = true;
    offset = at;
    bytes = length;
    reason = std::string(why);
  }

  bool seen = false;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string reason;
};

Status SegmentCorruption(const std::string& path, uint64_t offset, std::string_view reason) {
  return Status::Corruption(fmt::format("wal segment {} offset {}: {}", path, offset, reason));
}

// Cuts the torn tail and makes the cut durable before any writer appends a new segment: were
// the old length to reappear after a power loss, this segment would no longer be the last one
// and its tail would then read as corruption.
Status TruncateTornTail(Env& env, const std::string& dir, const std::string& path,
                        uint64_t valid_end) {
  STRATA_RETURN_IF_ERROR(env.TruncateFile(path, valid_end));
  {
    STRATA_ASSIGN_OR_RETURN(auto file, env.NewAppendableFile(path));
    STRATA_RETURN_IF_ERROR(file->Sync());
    STRATA_RETURN_IF_ERROR(file->Close());
  }
  return env.SyncDir(dir);
}

}  // namespace

Status ReplayWal(Env& env, const std::string& dir, uint64_t first_segment,
                 const std::function<Status(uint64_t segment, const Record&)>& apply,
                 RecoveryReport* report) {
  RecoveryReport local;
  RecoveryReport& out = report != nullptr ? *report : local;
  out = RecoveryReport{};

  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, dir));
  if (segments.empty()) return Status::OK();
  out.last_segment = segments.back();

  std::optional<int64_t> previous_time;
  for (uint64_t number : segments) {
    if (number < first_segment) continue;
    const std::string path = SegmentPath(dir, number);
    auto file = env.NewRandomAccessFile(path);
    if (!file.ok()) return file.status().WithContext("wal replay");
    ++out.segments;

    TailRecorder tail;
    LogReader reader(**file, &tail);
    Record record;
    while (reader.ReadRecord(&record)) {
      if (previous_time.has_value() && record.system_time_ns <= *previous_time) {
        return SegmentCorruption(path, record.offset,
                                 fmt::format("system time {} not after the previous record's {}",
                                             record.system_time_ns, *previous_time));
      }
      previous_time = record.system_time_ns;
      STRATA_RETURN_IF_ERROR(apply(number, record));
      ++out.records;
      out.last_system_time_ns = record.system_time_ns;
    }
    if (!reader.status().ok()) return reader.status().WithContext("wal replay");
    if (!tail.seen) continue;

    if (number != segments.back()) return SegmentCorruption(path, tail.offset, tail.reason);
    STRATA_RETURN_IF_ERROR(TruncateTornTail(env, dir, path, reader.valid_end()));
    out.truncated_bytes = tail.bytes;
    STRATA_LOG(kWarn, "wal segment {}: truncated torn tail at offset {}, cut {} bytes ({})", path,
               tail.offset, tail.bytes, tail.reason);
  }
  return Status::OK();
}

}  // namespace strata::wal
