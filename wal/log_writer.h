#pragma once

// Frames records into one segment file (format: wal/log_format.h). No buffering of its own and
// no syncing: the group-commit thread decides when to Sync().
// Thread-safety: single-threaded.

#include <cstdint>
#include <memory>
#include <string_view>

#include "util/env.h"
#include "util/status.h"

namespace strata::wal {

class LogWriter {
 public:
  // Takes ownership of file; appends after its current end.
  explicit LogWriter(std::unique_ptr<WritableFile> file);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends one record. InvalidArgument if the payload exceeds kMaxPayloadBytes.
  Status AddRecord(int64_t system_time_ns, std::string_view payload);
  Status Sync();
  Status Close();
  uint64_t size() const;

 private:
  std::unique_ptr<WritableFile> file_;
  std::string header_;  // reused to avoid an allocation per record
};

// Appends the framed record to *dst (used by the writer and by tests that build logs by hand).
void EncodeRecord(int64_t system_time_ns, std::string_view payload, std::string* dst);

}  // namespace strata::wal
