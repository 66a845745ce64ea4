#pragma once

// Reads the records of one segment, verifying length and checksum. The first record that is
// short, oversized or fails its checksum ends the read: everything from its offset on is the
// "bad tail" (a torn write after a crash, or corruption), reported through the Reporter.
// Thread-safety: single-threaded.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/status.h"

namespace strata::wal {

struct Record {
  int64_t system_time_ns = 0;
  std::string_view payload;  // valid until the next ReadRecord call
  uint64_t offset = 0;       // of the record's header within the segment
};

class LogReader {
 public:
  // Told once, when the read meets a bad tail.
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // bytes: from offset to the end of the segment; reason: what was wrong
    // ("truncated header", "truncated payload", "checksum mismatch", "length too large").
    virtual void BadTail(uint64_t offset, uint64_t bytes, std::string_view reason) = 0;
  };

  // Borrows file and reporter (nullable); both must outlive the reader.
  LogReader(const RandomAccessFile& file, Reporter* reporter);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Returns true and fills *record, or false at a clean end or a bad tail. I/O errors are
  // returned through status().
  bool ReadRecord(Record* record);

  // Offset just past the last good record read so far: where a torn tail is truncated.
  uint64_t valid_end() const { return valid_end_; }
  const Status& status() const { return status_; }

 private:
  // Makes at least n bytes from valid_end_ on available in buffer_, reading ahead in large
  // pieces; false if the file ends (or an I/O error occurs) before that.
  bool Fill(uint64_t n);
  // Ends the read at valid_end_ and tells the reporter, once.
  void BadTail(std::string_view reason);

  const RandomAccessFile& file_;
  Reporter* const reporter_;
  uint64_t valid_end_ = 0;
  std::string buffer_;  // file contents read in large pieces
  uint64_t buffer_offset_ = 0;
  std::string scratch_;  // one read's result before it is appended to buffer_
  uint64_t file_end_;    // file size when opened; lowered if a read comes back short
  bool done_ = false;    // clean end, bad tail or I/O error seen: later reads return false
  Status status_;
};

}  // namespace strata::wal
