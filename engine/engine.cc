#include "engine/engine.h"

#include <utility>

#include "util/logging.h"
#include "wal/recovery.h"

namespace strata::engine {

Engine::Engine(const EngineOptions& options) : options_(options) {}

Engine::~Engine() {
  Close().IgnoreError();  // the owner that cares calls Close() itself and checks it
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("no data directory given");
  std::unique_ptr<Engine> engine(new Engine(options));
  Env& env = *options.env;
  STRATA_RETURN_IF_ERROR(env.CreateDirs(options.data_dir));
  STRATA_ASSIGN_OR_RETURN(engine->lock_, env.LockFile(JoinPath(options.data_dir, "LOCK")));

  int64_t last_system_time_ns = 0;
  STRATA_RETURN_IF_ERROR(engine->Recover(&last_system_time_ns));
  {
    MutexLock lock(&engine->mu_);
    engine->visible_upto_ns_ = last_system_time_ns;
  }

  wal::WalOptions wal_options;
  wal_options.env = options.env;
  wal_options.dir = JoinPath(options.data_dir, "wal");
  wal_options.fsync = options.fsync;
  wal_options.fsync_interval = options.fsync_interval;
  wal_options.segment_bytes = options.wal_segment_bytes;
  wal_options.max_queued_bytes = options.wal_max_queued_bytes;
  STRATA_ASSIGN_OR_RETURN(engine->wal_, wal::WalWriter::Open(wal_options, last_system_time_ns));
  return engine;
}

Status Engine::Recover(int64_t* last_system_time_ns) {
  wal::RecoveryReport report;
  Status replayed = wal::ReplayWal(
      *options_.env, JoinPath(options_.data_dir, "wal"), /*first_segment=*/1,
      [this](uint64_t segment, const wal::Record& record) -> Status {
        // Field types are not persisted separately yet: the WAL is their record.
        Status typed;
        std::string_view measurement;
        Status decoded = DecodeWriteBatch(
            record.payload,
            [&](const BatchLine& line) {
              auto info = series_.GetOrCreate(line.series_key);
              if (!info.ok()) {
                if (typed.ok()) typed = info.status();
                measurement = {};
                return;
              }
              measurement = (*info)->measurement;
            },
            [&](std::string_view key, const FieldValue& value) {
              if (measurement.empty()) return;
              Status s = schema_.CheckAndRegister(measurement, key, value.type);
              if (!s.ok() && typed.ok()) typed = s;
            });
        Status applied = decoded.ok() ? memtable_.Apply(record.system_time_ns, record.payload,
                                                        series_)
                                      : decoded;
        if (!applied.ok()) {
          return applied.WithContext("wal segment " + std::to_string(segment) + " offset " +
                                     std::to_string(record.offset));
        }
        if (!typed.ok()) {
          STRATA_LOG(kWarn, "wal segment {} offset {}: {}", segment, record.offset,
                     typed.ToString());
        }
        return Status::OK();
      },
      &report);
  STRATA_RETURN_IF_ERROR(replayed);
  *last_system_time_ns = report.last_system_time_ns;
  MutexLock lock(&mu_);
  recovered_records_ = report.records;
  recovered_truncated_bytes_ = report.truncated_bytes;
  if (report.records > 0 || report.truncated_bytes > 0) {
    STRATA_LOG(kInfo, "recovered {} WAL records from {} segments ({} torn bytes cut)",
               report.records, report.segments, report.truncated_bytes);
  }
  return Status::OK();
}

Status Engine::AddLine(const ParsedLine& line, int64_t default_time_ns, WriteBatch* batch) {
  for (const Field& field : line.fields) {
    STRATA_RETURN_IF_ERROR(schema_.CheckAndRegister(line.measurement, field.key, field.value.type));
  }
  batch->Add(line, line.timestamp_ns.value_or(default_time_ns));
  return Status::OK();
}

Result<SystemTime> Engine::Commit(WriteBatch* batch) {
  {
    MutexLock lock(&mu_);
    if (!bg_error_.ok()) return bg_error_;
    if (closed_) return Status::Unavailable("engine is closed");
  }
  STRATA_ASSIGN_OR_RETURN(
      int64_t system_time_ns,
      wal_->Append(batch->Release(),
                   [this](const Status& status, int64_t t, std::string_view payload) {
                     OnCommitted(status, t, payload);
                   }));
  return SystemTime{system_time_ns};
}

void Engine::OnCommitted(const Status& status, int64_t system_time_ns,
                         std::string_view payload) {
  Status applied = status.ok() ? memtable_.Apply(system_time_ns, payload, series_) : status;
  MutexLock lock(&mu_);
  if (!applied.ok()) {
    if (bg_error_.ok()) {
      bg_error_ = applied;
      STRATA_LOG(kError, "write path failed, refusing further writes: {}", applied.ToString());
    }
  } else {
    visible_upto_ns_ = system_time_ns;
    ++commits_;
  }
  visible_cv_.SignalAll();
}

Status Engine::WaitForCommit(SystemTime t) {
  MutexLock lock(&mu_);
  while (visible_upto_ns_ < t.ns && bg_error_.ok()) visible_cv_.Wait();
  if (visible_upto_ns_ >= t.ns) return Status::OK();
  return bg_error_;
}

SystemTime Engine::LastVisibleTime() const {
  MutexLock lock(&mu_);
  return SystemTime{visible_upto_ns_};
}

void Engine::ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                       SystemTime as_of, const PointVisitor& visit) const {
  memtable_.ScanField(series, field, min_ns, max_ns, as_of.ns, visit);
}

EngineStats Engine::Stats() const {
  EngineStats stats;
  stats.series = series_.size();
  stats.memtable_points = memtable_.points();
  stats.memtable_bytes = memtable_.ApproximateBytes();
  MutexLock lock(&mu_);
  stats.commits = commits_;
  stats.last_system_time_ns = visible_upto_ns_;
  stats.recovered_records = recovered_records_;
  stats.recovered_truncated_bytes = recovered_truncated_bytes_;
  return stats;
}

Status Engine::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::OK();
    closed_ = true;
  }
  return wal_ ? wal_->Close() : Status::OK();
}

}  // namespace strata::engine
