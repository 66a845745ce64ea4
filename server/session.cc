#include "server/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/backup.h"
#include "query/executor.h"
#include "query/explain.h"
#include "query/parser.h"

namespace strata::server {
namespace {

constexpr std::string_view kKeywords[] = {"SELECT",  "SHOW",   "DELETE", "EXPLAIN", "CREATE",
                                          "DROP",    "SYNC",   "FLUSH",  "PING",    "STATS",
                                          "COMPACT", "BACKUP", "QUIT"};

// The keyword a line starts with (its first token, up to the first space, in any case), or "".
// Runs on every written line, so it looks at no more of it than the longest keyword needs
// (find_first_of would walk a write's whole series key, a memchr per byte).
std::string_view CommandKeyword(std::string_view line) {
  constexpr size_t kLongestKeyword = 7;
  size_t start = 0;
  while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
  size_t end = start;
  while (end < line.size() && end - start <= kLongestKeyword && line[end] != ' ' &&
         line[end] != '\t' && line[end] != '\r') {
    ++end;
  }
  if (end - start > kLongestKeyword) return {};
  std::string_view first = line.substr(start, end - start);
  for (std::string_view k : kKeywords) {
    if (first.size() != k.size()) continue;
    bool equal = true;
    for (size_t i = 0; i < k.size() && equal; ++i) {
      equal = (first[i] & ~0x20) == k[i];  // ASCII upper-casing; keywords are letters only
    }
    if (equal) return k;
  }
  return {};
}

// Replies never contain a raw newline or tab: they would break the framing.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

// Streams an answer straight into the connection's reply text, handing it to the drain
// whenever chunk_bytes of it are waiting (so a large answer never sits whole in memory).
class WireSink final : public query::ResultSink {
 public:
  WireSink(std::string* out, const Session::Drain& drain, size_t chunk_bytes)
      : out_(out), drain_(drain), chunk_bytes_(chunk_bytes) {}
  Status Header(const std::vector<std::string>& columns) override {
    AppendRow(columns);
    return MaybeDrain();
  }
  Status Row(const std::vector<std::string>& cells) override {
    AppendRow(cells);
    ++rows_;
    return MaybeDrain();
  }
  uint64_t rows() const { return rows_; }
  // Whether part of the answer has left: then an error can only follow it, not replace it.
  bool drained() const { return drained_; }

 private:
  void AppendRow(const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out_->push_back('\t');
      // In place rather than through OneLine: this runs for every cell of every answer.
      const size_t start = out_->size();
      out_->append(cells[i]);
      for (size_t k = start; k < out_->size(); ++k) {
        char& c = (*out_)[k];
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      }
    }
    out_->push_back('\n');
  }
  Status MaybeDrain() {
    if (!drain_ || out_->size() < chunk_bytes_) return Status::OK();
    drained_ = true;
    if (!drain_(out_)) return Status::Unavailable("the client went away");
    return Status::OK();
  }

  std::string* out_;
  const Session::Drain& drain_;
  const size_t chunk_bytes_;
  uint64_t rows_ = 0;
  bool drained_ = false;
};

// Runs a statement that answers a table (run(sink) -> Status) and appends the answer and its
// END line. If it fails before any of the answer was drained, the answer is replaced by one ERR
// line; after that, the ERR line takes the place of END.
template <typename Run>
void AnswerTable(std::chrono::steady_clock::time_point started, const Session::Drain& drain,
                 size_t chunk_bytes, const Run& run, std::string* out) {
  const size_t answer_start = out->size();
  WireSink sink(out, drain, chunk_bytes);
  Status executed = run(sink);
  if (!executed.ok()) {
    if (!sink.drained()) out->resize(answer_start);
    out->append("ERR " + OneLine(executed.message()) + "\n");
    return;
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  fmt::format_to(std::back_inserter(*out), "END {} {}\n", sink.rows(), micros);
}

}  // namespace

Session::Session(engine::Engine& engine, const ServerOptions& options,
                 compaction::Compactor* compactor)
    : engine_(engine),
      options_(options),
      compactor_(compactor),
      splitter_(options.max_line_bytes),
      parser_(options.precision) {}

bool Session::Receive(std::string_view bytes, std::string* out, bool more_coming) {
  if (quit_) return false;
  receive_time_ns_ = engine_.NowNanos();
  splitter_.Feed(bytes, [&](std::string_view line, bool too_long) {
    if (!quit_) HandleLine(line, too_long, out);
  });
  if (!more_coming || quit_) CommitPending(out);
  return !quit_;
}

void Session::Finish(std::string* out) {
  if (!quit_) {
    receive_time_ns_ = engine_.NowNanos();
    splitter_.Finish([&](std::string_view line, bool too_long) {
      if (!quit_) HandleLine(line, too_long, out);
    });
  }
  CommitPending(out);
}

void Session::HandleLine(std::string_view line, bool too_long, std::string* out) {
  ++line_no_;
  if (too_long) {
    Reject("line too long", out);
    return;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (engine::IsBlankOrComment(line)) return;
  std::string_view keyword = CommandKeyword(line);
  if (keyword.empty()) {
    HandleWrite(line, out);
  } else {
    HandleCommand(keyword, line, out);
  }
}

void Session::Reject(std::string_view reason, std::string* out) {
  ++rejected_;
  fmt::format_to(std::back_inserter(*out), "ERR {} {}\n", line_no_, OneLine(reason));
}

void Session::HandleWrite(std::string_view line, std::string* out) {
  Status parsed = parser_.Parse(line, &parsed_);
  if (!parsed.ok()) {
    Reject(parsed.message(), out);
    return;
  }
  Status added = engine_.AddLine(parsed_, receive_time_ns_, &batch_, &schema_memo_);
  if (!added.ok()) {
    Reject(added.message(), out);
    return;
  }
  ++accepted_;
  if (batch_.bytes() >= options_.max_batch_bytes) CommitPending(out);
}

void Session::CommitPending(std::string* out) {
  if (batch_.empty()) return;
  auto committed = engine_.Commit(&batch_);
  if (!committed.ok()) {
    // The lines were counted as accepted; the failure surfaces here and again at SYNC.
    out->append("ERR write failed: " + OneLine(committed.status().ToString()) + "\n");
    batch_.Release();
    return;
  }
  last_commit_ns_ = committed->ns;
}

bool Session::CatchUp(std::string* out) {
  CommitPending(out);
  if (last_commit_ns_ == 0) return true;
  Status waited = engine_.WaitForCommit(engine::SystemTime{last_commit_ns_});
  if (!waited.ok()) {
    out->append("ERR write failed: " + OneLine(waited.ToString()) + "\n");
    return false;
  }
  return true;
}

void Session::HandleCommand(std::string_view keyword, std::string_view line, std::string* out) {
  if (keyword == "PING") {
    out->append("PONG\n");
  } else if (keyword == "QUIT") {
    CommitPending(out);
    out->append("OK bye\n");
    quit_ = true;
  } else if (keyword == "SYNC") {
    Sync(out);
  } else if (keyword == "SELECT" || keyword == "EXPLAIN") {
    Select(line, out);  // ParseSelect takes the EXPLAIN prefix
  } else if (keyword == "SHOW") {
    Show(line, out);
  } else if (keyword == "DELETE") {
    Delete(line, out);
  } else if (keyword == "STATS") {
    Stats(out);
  } else if (keyword == "CREATE" || keyword == "DROP") {
    Rollup(line, out);
  } else if (keyword == "COMPACT" && compactor_ != nullptr) {
    Compact(line, out);
  } else if (keyword == "BACKUP") {
    Backup(line, out);
  } else if (keyword == "FLUSH") {
    // This connection's writes first, so FLUSH covers them.
    if (!CatchUp(out)) return;
    Status flushed = engine_.Flush();
    out->append(flushed.ok() ? "OK\n" : "ERR flush failed: " + OneLine(flushed.ToString()) + "\n");
  } else {
    out->append(fmt::format("ERR {} is not supported yet\n", keyword));
  }
}

void Session::Sync(std::string* out) {
  if (!CatchUp(out)) {
    accepted_ = rejected_ = 0;
    last_commit_ns_ = 0;
    return;
  }
  int64_t t = last_commit_ns_ != 0 ? last_commit_ns_ : engine_.LastVisibleTime().ns;
  fmt::format_to(std::back_inserter(*out), "OK {} {} {}\n", accepted_, rejected_, t);
  accepted_ = rejected_ = 0;
  last_commit_ns_ = 0;
}

void Session::Select(std::string_view text, std::string* out) {
  // Read-your-writes: a query sees every earlier write of its own connection.
  if (!CatchUp(out)) return;
  auto started = std::chrono::steady_clock::now();
  auto statement = query::ParseSelect(text, engine_.NowNanos());
  if (!statement.ok()) {
    out->append("ERR " + OneLine(statement.status().message()) + "\n");
    return;
  }
  engine::ScanContext limits;
  if (options_.query_timeout.count() > 0) limits.deadline = started + options_.query_timeout;
  limits.memory_limit_bytes = options_.query_memory_bytes;
  AnswerTable(
      started, drain_, options_.answer_chunk_bytes,
      [&](query::ResultSink& sink) {
        Status executed = statement->explain
                              ? query::ExecuteExplain(engine_, *statement, sink, limits)
                              : query::ExecuteSelect(engine_, *statement, sink, &limits);
        if (!executed.ok() && std::chrono::steady_clock::now() > limits.deadline) {
          return Status::ResourceExhausted(
              fmt::format("query timed out after {} ms (stratad --query-timeout)",
                          options_.query_timeout.count()));
        }
        return executed;
      },
      out);
}

void Session::Show(std::string_view text, std::string* out) {
  // Read-your-writes, as for SELECT: the connection's new series and fields are listed.
  if (!CatchUp(out)) return;
  auto started = std::chrono::steady_clock::now();
  auto statement = query::ParseShow(text);
  if (!statement.ok()) {
    out->append("ERR " + OneLine(statement.status().message()) + "\n");
    return;
  }
  AnswerTable(
      started, drain_, options_.answer_chunk_bytes,
      [&](query::ResultSink& sink) { return query::ExecuteShow(engine_, *statement, sink); }, out);
}

void Session::Delete(std::string_view text, std::string* out) {
  // The connection's own earlier writes are visible to the delete, so it can remove them.
  if (!CatchUp(out)) return;
  auto statement = query::ParseDelete(text, engine_.NowNanos());
  if (!statement.ok()) {
    out->append("ERR " + OneLine(statement.status().message()) + "\n");
    return;
  }
  auto deleted = query::ExecuteDelete(engine_, *statement);
  if (!deleted.ok()) {
    // A bad statement says where it is wrong; anything else is the engine failing.
    const Status& error = deleted.status();
    out->append(error.code() == StatusCode::kInvalidArgument
                    ? "ERR " + OneLine(error.message()) + "\n"
                    : "ERR delete failed: " + OneLine(error.ToString()) + "\n");
    return;
  }
  fmt::format_to(std::back_inserter(*out), "OK {} {}\n", deleted->tombstones,
                 deleted->system_time_ns);
}

void Session::Rollup(std::string_view text, std::string* out) {
  // The connection's writes first: CREATE ROLLUP then covers them (from memtables until flushed).
  if (!CatchUp(out)) return;
  auto statement = query::ParseRollup(text);
  if (!statement.ok()) {
    out->append("ERR " + OneLine(statement.status().message()) + "\n");
    return;
  }
  Status done = query::ExecuteRollup(engine_, *statement);
  if (!done.ok()) {
    const bool users = done.code() == StatusCode::kInvalidArgument ||
                       done.code() == StatusCode::kNotFound;
    out->append(users ? "ERR " + OneLine(done.message()) + "\n"
                      : "ERR rollup failed: " + OneLine(done.ToString()) + "\n");
    return;
  }
  out->append("OK\n");
}

void Session::Stats(std::string* out) {
  const engine::EngineStats s = engine_.Stats();
  const std::pair<const char*, int64_t> rows[] = {
      {"series", static_cast<int64_t>(s.series)},
      {"memtable_points", static_cast<int64_t>(s.memtable_points)},
      {"memtable_bytes", static_cast<int64_t>(s.memtable_bytes)},
      {"immutable_memtables", static_cast<int64_t>(s.immutable_memtables)},
      {"commits", static_cast<int64_t>(s.commits)},
      {"last_system_time", s.last_system_time_ns},
      {"checkpoint_system_time", s.checkpoint_ns},
      {"flushes", static_cast<int64_t>(s.flushes)},
      {"write_stalls", static_cast<int64_t>(s.write_stalls)},
      {"write_stall_ms", static_cast<int64_t>(s.write_stall_ns / 1000000)},
      {"partitions", static_cast<int64_t>(s.partitions)},
      {"chunk_files", static_cast<int64_t>(s.chunk_files)},
      {"chunk_bytes", static_cast<int64_t>(s.chunk_bytes)},
      {"chunk_versions", static_cast<int64_t>(s.chunk_versions)},
      {"max_files_per_partition", static_cast<int64_t>(s.max_files_per_partition)},
      {"recovered_wal_records", static_cast<int64_t>(s.recovered_records)},
      {"recovered_truncated_bytes", static_cast<int64_t>(s.recovered_truncated_bytes)},
      {"rollups", static_cast<int64_t>(s.rollups)},
      // Rollup rows reflect commits up to the checkpoint; newer ones (still in memtables) are
      // read raw for the buckets they touch, so the lag costs speed, never exactness.
      {"rollup_lag_ms", s.rollups == 0 || s.memtable_points == 0
                            ? 0
                            : (s.last_system_time_ns - s.rollup_system_time_ns) / 1'000'000},
  };
  out->append("name\tvalue\n");
  for (const auto& [name, value] : rows) {
    fmt::format_to(std::back_inserter(*out), "{}\t{}\n", name, value);
  }
  size_t count = std::size(rows);
  // Retention: the period in seconds (0: keep forever), what drops removed since the start,
  // and the first day kept as yyyymmdd (0 while nothing expires): every STATS value stays an
  // integer, which scripts rely on.
  int64_t oldest_day_kept = 0;
  if (s.oldest_kept_ns != INT64_MIN) {
    const std::string date = engine::FormatDay(engine::DayOf(s.oldest_kept_ns));  // yyyy-mm-dd
    oldest_day_kept = std::stoll(date.substr(0, 4)) * 10000 + std::stoll(date.substr(5, 2)) * 100 +
                      std::stoll(date.substr(8, 2));
  }
  const std::pair<const char*, int64_t> retention_rows[] = {
      {"retention_seconds", s.retention_ns / 1'000'000'000},
      {"retention_partitions_dropped", static_cast<int64_t>(s.partitions_dropped)},
      {"retention_files_dropped", static_cast<int64_t>(s.files_dropped)},
      {"retention_bytes_dropped", static_cast<int64_t>(s.bytes_dropped)},
      {"retention_oldest_day_kept", oldest_day_kept},
  };
  for (const auto& [name, value] : retention_rows) {
    fmt::format_to(std::back_inserter(*out), "{}\t{}\n", name, value);
  }
  count += std::size(retention_rows);
  if (compactor_ != nullptr) {
    const compaction::CompactorStats c = compactor_->Stats();
    const std::pair<const char*, int64_t> compaction_rows[] = {
        {"compaction_backlog", static_cast<int64_t>(c.backlog)},
        {"compactions", static_cast<int64_t>(c.compactions)},
        {"compaction_failures", static_cast<int64_t>(c.failures)},
        {"compaction_running", c.running ? 1 : 0},
        {"compaction_files_in", static_cast<int64_t>(c.files_in)},
        {"compaction_files_out", static_cast<int64_t>(c.files_out)},
        {"compaction_bytes_read", static_cast<int64_t>(c.bytes_read)},
        {"compaction_bytes_written", static_cast<int64_t>(c.bytes_written)},
        {"compaction_versions_dropped", static_cast<int64_t>(c.versions_dropped)},
        {"compaction_ms", std::chrono::duration_cast<std::chrono::milliseconds>(c.busy).count()},
    };
    for (const auto& [name, value] : compaction_rows) {
      fmt::format_to(std::back_inserter(*out), "{}\t{}\n", name, value);
    }
    count += std::size(compaction_rows);
  }
  fmt::format_to(std::back_inserter(*out), "END {} 0\n", count);
}

void Session::Compact(std::string_view text, std::string* out) {
  // COMPACT [<region>/<yyyy-mm-dd>]: the argument is everything after the keyword.
  std::string_view argument = text;
  argument.remove_prefix(std::min(argument.find_first_not_of(" \t"), argument.size()));
  argument.remove_prefix(std::min<size_t>(7, argument.size()));  // "COMPACT"
  while (!argument.empty() && (argument.front() == ' ' || argument.front() == '\t')) {
    argument.remove_prefix(1);
  }
  while (!argument.empty() && (argument.back() == ' ' || argument.back() == '\t')) {
    argument.remove_suffix(1);
  }
  std::vector<compaction::CompactionResult> results;
  if (argument.empty()) {
    auto all = compactor_->CompactAll();
    if (!all.ok()) {
      out->append("ERR compaction failed: " + OneLine(all.status().ToString()) + "\n");
      return;
    }
    results = std::move(all).value();
  } else {
    // The region may itself hold '/': the date is what follows the last one.
    const size_t slash = argument.rfind('/');
    engine::PartitionKey partition;
    if (slash == std::string_view::npos || slash == 0 ||
        !engine::ParseDay(argument.substr(slash + 1), &partition.day)) {
      out->append("ERR COMPACT takes no argument or <region>/<yyyy-mm-dd>, not '" +
                  OneLine(argument) + "'\n");
      return;
    }
    partition.region = std::string(argument.substr(0, slash));
    auto one = compactor_->CompactPartition(partition);
    if (!one.ok()) {
      out->append(one.status().code() == StatusCode::kNotFound
                      ? "ERR " + OneLine(one.status().message()) + "\n"
                      : "ERR compaction failed: " + OneLine(one.status().ToString()) + "\n");
      return;
    }
    results.push_back(std::move(one).value());
  }
  const compaction::CompactionTotals t = compaction::SumResults(results);
  fmt::format_to(std::back_inserter(*out), "OK {} {} {} {} {}\n", t.partitions, t.files_in,
                 t.files_out, t.bytes_in, t.bytes_out);
}

void Session::Backup(std::string_view text, std::string* out) {
  // BACKUP '<dir>' [COPY] [KEEP <n>] (docs/protocol.md). The directory is on the server's file
  // system; quotes are needed only when it holds a space.
  std::string_view rest = text;
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  rest.remove_prefix(std::min<size_t>(6, rest.size()));  // "BACKUP"
  auto skip_blanks = [&] {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  };
  auto word = [&] {
    skip_blanks();
    const size_t end = std::min(rest.find_first_of(" \t"), rest.size());
    std::string_view w = rest.substr(0, end);
    rest.remove_prefix(end);
    return w;
  };
  const std::string usage = "ERR usage: BACKUP '<dir>' [COPY] [KEEP <n>] [PROGRESS]\n";
  skip_blanks();
  std::string dir;
  if (!rest.empty() && rest.front() == '\'') {
    const size_t close = rest.find('\'', 1);
    if (close == std::string_view::npos) {
      out->append(usage);
      return;
    }
    dir = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  } else {
    dir = std::string(word());
  }
  engine::BackupOptions options;
  bool progress = false;
  for (std::string_view w = word(); !w.empty(); w = word()) {
    std::string upper(w);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "COPY") {
      options.force_copy = true;
    } else if (upper == "PROGRESS") {
      progress = true;
    } else if (upper == "KEEP") {
      const std::string n(word());
      char* end = nullptr;
      const unsigned long long keep = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || keep == 0) {
        out->append(usage);
        return;
      }
      options.keep = static_cast<size_t>(keep);
    } else {
      out->append(usage);
      return;
    }
  }
  if (dir.empty()) {
    out->append(usage);
    return;
  }
  // This connection's own writes are part of the backup.
  if (!CatchUp(out)) return;
  if (progress) {
    // PROGRESS lines go out as the copy advances (at most five a second, and the last one), so
    // a client on a terminal can draw a progress bar.
    auto last = std::chrono::steady_clock::time_point{};
    options.progress = [this, out, last](const engine::BackupProgress& p) mutable {
      const auto now = std::chrono::steady_clock::now();
      const bool done = p.files_done == p.files_total && p.bytes_done == p.bytes_total;
      if (!done && now - last < std::chrono::milliseconds(200)) return;
      last = now;
      fmt::format_to(std::back_inserter(*out), "PROGRESS {} {} {} {}\n", p.bytes_done,
                     p.bytes_total, p.files_done, p.files_total);
      if (drain_) drain_(out);  // a client that went away is noticed at the answer
    };
  }
  auto made = engine::CreateBackup(engine_, dir, options);
  if (!made.ok()) {
    out->append("ERR backup failed: " + OneLine(made.status().ToString()) + "\n");
    return;
  }
  const engine::BackupManifest& m = made->manifest;
  fmt::format_to(std::back_inserter(*out), "OK {} {} {} {} {} {} {} {}\n", m.id, m.system_time_ns,
                 m.files.size(), m.bytes(), m.new_files, m.new_bytes, made->linked_files,
                 made->copied_files);
}

}  // namespace strata::server
