#include "wal/log_reader.h"

#include <fmt/core.h>

#include <algorithm>

#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"

namespace strata::wal {
namespace {

// One pread per this many bytes, not one per record: replay reads whole segments.
constexpr uint64_t kReadAheadBytes = 1 << 20;

}  // namespace

LogReader::LogReader(const RandomAccessFile& file, Reporter* reporter)
    : file_(file), reporter_(reporter), file_end_(file.Size()) {}

bool LogReader::Fill(uint64_t n) {
  const uint64_t buffered_end = buffer_offset_ + buffer_.size();
  if (buffered_end - valid_end_ >= n) return true;
  if (file_end_ - valid_end_ < n) return false;
  // Drop what was consumed so the buffer never holds more than one piece plus one record.
  buffer_.erase(0, valid_end_ - buffer_offset_);
  buffer_offset_ = valid_end_;
  const uint64_t read_from = buffer_offset_ + buffer_.size();
  const uint64_t want =
      std::min(file_end_ - read_from, std::max(n - buffer_.size(), kReadAheadBytes));
  Status s = file_.Read(read_from, want, &scratch_);
  if (!s.ok()) {
    status_ = s;
    done_ = true;
    return false;
  }
  buffer_.append(scratch_);
  if (scratch_.size() < want) file_end_ = read_from + scratch_.size();  // shrank under us
  return buffer_.size() >= n;
}

void LogReader::BadTail(std::string_view reason) {
  done_ = true;
  if (reporter_ != nullptr) reporter_->BadTail(valid_end_, file_end_ - valid_end_, reason);
}

bool LogReader::ReadRecord(Record* record) {
  if (done_) return false;
  if (valid_end_ >= file_end_) {
    done_ = true;  // clean end
    return false;
  }
  if (!Fill(kHeaderSize)) {
    if (status_.ok()) BadTail("truncated header");
    return false;
  }
  const char* header = buffer_.data() + (valid_end_ - buffer_offset_);
  const uint32_t length = DecodeFixed32(header);
  if (length > kMaxPayloadBytes) {
    BadTail("length too large");
    return false;
  }
  if (!Fill(kHeaderSize + length)) {
    if (status_.ok()) BadTail("truncated payload");
    return false;
  }
  header = buffer_.data() + (valid_end_ - buffer_offset_);  // Fill may have moved the buffer
  const uint64_t expected = DecodeFixed64(header + 4);
  const std::string_view payload(header + kHeaderSize, length);
  char covered[12];
  std::copy_n(header, 4, covered);
  std::copy_n(header + 12, 8, covered + 4);
  if (Checksum64(std::string_view(covered, sizeof(covered)), payload) != expected) {
    BadTail("checksum mismatch");
    return false;
  }
  record->system_time_ns = static_cast<int64_t>(DecodeFixed64(header + 12));
  record->payload = payload;
  record->offset = valid_end_;
  valid_end_ += kHeaderSize + length;
  return true;
}

}  // namespace strata::wal
