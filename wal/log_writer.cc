#include "wal/log_writer.h"

#include <fmt/core.h>

#include <cassert>
#include <utility>

#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"

namespace strata::wal {
namespace {

// Payloads up to this size are copied behind their header so the record costs one write(2);
// larger ones are written in place with a second write, as copying them costs more than the call.
constexpr size_t kCoalesceBytes = 8 << 10;

// Fills the 20 header bytes for payload; buf must hold kHeaderSize bytes.
void EncodeHeader(int64_t system_time_ns, std::string_view payload, char* buf) {
  EncodeFixed32(buf, static_cast<uint32_t>(payload.size()));
  EncodeFixed64(buf + 12, static_cast<uint64_t>(system_time_ns));
  // The checksum covers the length and the system time too, so a flipped bit in either is
  // caught rather than silently shifting the record boundary or the time.
  char covered[12];
  EncodeFixed32(covered, static_cast<uint32_t>(payload.size()));
  EncodeFixed64(covered + 4, static_cast<uint64_t>(system_time_ns));
  EncodeFixed64(buf + 4, Checksum64(std::string_view(covered, sizeof(covered)), payload));
}

}  // namespace

void EncodeRecord(int64_t system_time_ns, std::string_view payload, std::string* dst) {
  assert(payload.size() <= kMaxPayloadBytes);
  char header[kHeaderSize];
  EncodeHeader(system_time_ns, payload, header);
  dst->append(header, kHeaderSize);
  dst->append(payload);
}

LogWriter::LogWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}

Status LogWriter::AddRecord(int64_t system_time_ns, std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument(fmt::format("wal record of {} bytes exceeds the limit of {}",
                                               payload.size(), kMaxPayloadBytes));
  }
  header_.clear();
  if (payload.size() <= kCoalesceBytes) {
    EncodeRecord(system_time_ns, payload, &header_);
    return file_->Append(header_);
  }
  header_.resize(kHeaderSize);
  EncodeHeader(system_time_ns, payload, header_.data());
  STRATA_RETURN_IF_ERROR(file_->Append(header_));
  return file_->Append(payload);
}

Status LogWriter::Sync() { return file_->Sync(); }

Status LogWriter::Close() { return file_->Close(); }

uint64_t LogWriter::size() const { return file_->Size(); }

}  // namespace strata::wal
