#pragma once

// Replays a WAL directory at start-up (DESIGN §3 step 6). Records are delivered in order. The
// last segment may end in a torn tail: it is truncated at the last good record and logged.
// A bad record in any earlier segment is real corruption: replay stops with a Corruption status
// naming the segment and offset, and nothing is truncated.
// Thread-safety: call once, before a WalWriter is opened on the same directory.

#include <cstdint>
#include <functional>
#include <string>

#include "util/env.h"
#include "util/status.h"
#include "wal/log_reader.h"

namespace strata::wal {

struct RecoveryReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  int64_t last_system_time_ns = 0;  // 0 when the WAL held no record
  uint64_t last_segment = 0;        // 0 when the WAL held no segment
  uint64_t truncated_bytes = 0;     // cut from the tail of the last segment
};

// Calls apply(record) for every good record with segment number; an error from apply stops the
// replay and is returned. Records whose system time is not greater than the previous one are
// Corruption. Only records with segment >= first_segment are delivered (segments below it are
// covered by a checkpoint and are skipped without being read).
Status ReplayWal(Env& env, const std::string& dir, uint64_t first_segment,
                 const std::function<Status(uint64_t segment, const Record&)>& apply,
                 RecoveryReport* report);

}  // namespace strata::wal
