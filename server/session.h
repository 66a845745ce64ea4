#pragma once

// Session: the line protocol of one connection (DESIGN §6, §6.1), independent of sockets so
// it can be tested byte for byte. Bytes go in, reply text comes out.
// Thread-safety: single-threaded (one per connection); the engine it borrows is thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "engine/line_protocol.h"
#include "engine/write_batch.h"
#include "server/limits.h"
#include "server/line_splitter.h"

namespace strata::server {

class Session {
 public:
  // engine (and compactor, if given: without it COMPACT answers ERR) must outlive the session.
  Session(engine::Engine& engine, const ServerOptions& options,
          compaction::Compactor* compactor = nullptr);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Handles received bytes, appending replies to *out. Pending writes are committed before it
  // returns (not yet durable: SYNC waits for that), unless more_coming says the socket already
  // holds more bytes: then they wait for those, up to max_batch_bytes, so a streaming client's
  // points share fewer, larger commits (one system time each, which the chunk codecs store
  // almost for free). Returns false once the client said QUIT; bytes after QUIT are ignored.
  bool Receive(std::string_view bytes, std::string* out, bool more_coming = false);

  // Sends *out to the client and clears it; false if the client went away. A query answer calls
  // it whenever ServerOptions::answer_chunk_bytes are waiting, so a large answer streams instead
  // of sitting whole in *out. Without a drain (tests), answers accumulate in *out.
  using Drain = std::function<bool(std::string* out)>;
  void SetDrain(Drain drain) { drain_ = std::move(drain); }

  // End of stream: handles an unterminated last line and commits pending writes.
  void Finish(std::string* out);

  uint64_t lines_seen() const { return line_no_; }

 private:
  void HandleLine(std::string_view line, bool too_long, std::string* out);
  void HandleWrite(std::string_view line, std::string* out);
  void HandleCommand(std::string_view keyword, std::string_view line, std::string* out);
  void Reject(std::string_view reason, std::string* out);
  // Commits the pending batch, if any. On failure replies ERR and counts nothing more.
  void CommitPending(std::string* out);
  // Commits and waits until this connection's writes are visible; false (with ERR sent) if the
  // write path failed.
  bool CatchUp(std::string* out);
  void Sync(std::string* out);
  void Select(std::string_view text, std::string* out);  // also EXPLAIN SELECT
  void Show(std::string_view text, std::string* out);
  void Delete(std::string_view text, std::string* out);
  // CREATE ROLLUP / DROP ROLLUP.
  void Rollup(std::string_view text, std::string* out);
  void Stats(std::string* out);
  void Compact(std::string_view text, std::string* out);
  void Backup(std::string_view text, std::string* out);

  engine::Engine& engine_;
  const ServerOptions& options_;
  compaction::Compactor* const compactor_;
  LineSplitter splitter_;
  engine::LineParser parser_;
  engine::ParsedLine parsed_;
  engine::WriteBatch batch_;
  engine::SchemaMemo schema_memo_;
  int64_t receive_time_ns_ = 0;  // valid time of lines without a timestamp

  uint64_t line_no_ = 0;   // every line received, commands and blank lines included
  uint64_t accepted_ = 0;  // since the last SYNC
  uint64_t rejected_ = 0;  // since the last SYNC
  // The newest commit of this connection since its last SYNC (0 if none).
  int64_t last_commit_ns_ = 0;
  bool quit_ = false;
  Drain drain_;
};

}  // namespace strata::server
