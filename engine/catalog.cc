#include "engine/catalog.h"

#include <algorithm>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "util/coding.h"

namespace strata::engine {
namespace {

// Version 2 adds rollups; a catalog without any stays version 1 (older binaries open it).
constexpr uint64_t kCatalogVersion = 1;
constexpr uint64_t kCatalogVersionWithRollups = 2;

// Key prefixes: docs/format/catalog.md.
constexpr std::string_view kMetaVersion = "m/version";
constexpr std::string_view kMetaPartitionTag = "m/partition_tag";
constexpr std::string_view kMetaCheckpoint = "m/checkpoint";
constexpr std::string_view kMetaHighWater = "m/high_water";
constexpr std::string_view kMetaNextFileId = "m/next_file_id";
constexpr std::string_view kSeriesById = "s/";
constexpr std::string_view kSeriesByKey = "k/";
constexpr std::string_view kTagIndex = "t/";
constexpr std::string_view kFieldType = "f/";
constexpr std::string_view kChunkFile = "c/";
constexpr std::string_view kMetaNextRollupId = "m/next_rollup_id";
constexpr std::string_view kRollup = "r/";
constexpr std::string_view kRollupRow = "v/";
constexpr std::string_view kRollupRowEnd = "v0";  // '0' follows '/': past every row

// Big-endian, so RocksDB's byte order is numeric order.
void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string Fixed64Value(uint64_t v) {
  std::string out;
  PutFixed64(&out, v);
  return out;
}

std::string Join0(std::initializer_list<std::string_view> parts, std::string_view prefix) {
  std::string out(prefix);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out.push_back('\0');
    out.append(p);
    first = false;
  }
  return out;
}

// v/ + rollup id + series id (8 bytes BE each) + varint length + field + bucket start (8 bytes
// BE with the sign bit flipped, so byte order is numeric order).
std::string RollupRowPrefix(uint64_t rollup_id, SeriesId series, std::string_view field) {
  std::string key(kRollupRow);
  PutBigEndian64(&key, rollup_id);
  PutBigEndian64(&key, series.value);
  PutLengthPrefixed(&key, field);
  return key;
}

std::string RollupRowKey(uint64_t rollup_id, SeriesId series, std::string_view field,
                         int64_t bucket) {
  std::string key = RollupRowPrefix(rollup_id, series, field);
  PutBigEndian64(&key, static_cast<uint64_t>(bucket) ^ (uint64_t{1} << 63));
  return key;
}

std::string RollupIdPrefix(uint64_t rollup_id) {
  std::string key(kRollupRow);
  PutBigEndian64(&key, rollup_id);
  return key;
}

std::string EncodeRollup(const RollupDef& r) {
  std::string out;
  PutFixed64(&out, r.id);
  PutLengthPrefixed(&out, r.measurement);
  PutFixed64(&out, static_cast<uint64_t>(r.interval_ns));
  PutFixed64(&out, static_cast<uint64_t>(r.created_system_ns));
  return out;
}

bool DecodeRollup(std::string_view name, std::string_view in, RollupDef* r) {
  std::string_view measurement;
  uint64_t interval = 0, created = 0;
  if (!GetFixed64(&in, &r->id) || !GetLengthPrefixed(&in, &measurement) ||
      !GetFixed64(&in, &interval) || !GetFixed64(&in, &created) || !in.empty()) {
    return false;
  }
  r->name = std::string(name);
  r->measurement = std::string(measurement);
  r->interval_ns = static_cast<int64_t>(interval);
  r->created_system_ns = static_cast<int64_t>(created);
  return r->interval_ns > 0;
}

std::string FileKey(const ChunkFileMeta& f) {
  std::string key = Join0({f.region, f.date}, kChunkFile);
  key.push_back('\0');
  PutBigEndian64(&key, f.file_id);
  return key;
}

std::string EncodeFileMeta(const ChunkFileMeta& f) {
  std::string out;
  PutLengthPrefixed(&out, f.region);
  PutLengthPrefixed(&out, f.date);
  for (uint64_t v : {f.file_id, f.size_bytes, f.points, static_cast<uint64_t>(f.min_valid_ns),
                     static_cast<uint64_t>(f.max_valid_ns), static_cast<uint64_t>(f.min_system_ns),
                     static_cast<uint64_t>(f.max_system_ns)}) {
    PutFixed64(&out, v);
  }
  return out;
}

bool DecodeFileMeta(std::string_view in, ChunkFileMeta* f) {
  std::string_view region, date;
  if (!GetLengthPrefixed(&in, &region) || !GetLengthPrefixed(&in, &date)) return false;
  f->region = std::string(region);
  f->date = std::string(date);
  uint64_t v[7];
  for (uint64_t& x : v) {
    if (!GetFixed64(&in, &x)) return false;
  }
  f->file_id = v[0];
  f->size_bytes = v[1];
  f->points = v[2];
  f->min_valid_ns = static_cast<int64_t>(v[3]);
  f->max_valid_ns = static_cast<int64_t>(v[4]);
  f->min_system_ns = static_cast<int64_t>(v[5]);
  f->max_system_ns = static_cast<int64_t>(v[6]);
  return in.empty();
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  std::string msg = "catalog " + std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsNoSpace()) return Status::ResourceExhausted(std::move(msg));
  if (s.IsBusy() || s.IsTryAgain()) return Status::Unavailable(std::move(msg));
  return Status::IOError(std::move(msg));
}

Status CheckVersion(const std::string& dir, std::string_view version) {
  const uint64_t v = version.size() == 8 ? DecodeFixed64(version.data()) : 0;
  if (v != kCatalogVersion && v != kCatalogVersionWithRollups) {
    return Status::Corruption("catalog " + dir + ": unsupported catalog format version " +
                              std::to_string(v));
  }
  return Status::OK();
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace

Catalog::Catalog(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& dir,
                                               const std::string& partition_tag) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Metadata and rollup rows: tens of files, which must stay open (reopening one per read of
  // rollup rows would cost more than the read).
  options.max_open_files = 512;
  options.keep_log_file_num = 2;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // RocksDB preallocates its log to ~1.1x the write buffer (tens of MiB of disk blocks) for
  // throughput the catalog never needs: a few small batches per flush.
  options.allow_fallocate = false;
  options.write_buffer_size = 4 << 20;
  rocksdb::DB* raw = nullptr;
  STRATA_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &raw), "open " + dir));
  std::unique_ptr<Catalog> catalog(new Catalog(std::unique_ptr<rocksdb::DB>(raw)));

  std::string stored_tag;
  rocksdb::Status got = raw->Get(rocksdb::ReadOptions(), ToSlice(kMetaPartitionTag), &stored_tag);
  if (got.IsNotFound()) {
    CatalogBatch batch;
    batch.batch_->Put(ToSlice(kMetaVersion), Fixed64Value(kCatalogVersion));
    batch.batch_->Put(ToSlice(kMetaPartitionTag),
                      partition_tag.empty() ? std::string("region") : partition_tag);
    STRATA_RETURN_IF_ERROR(catalog->Commit(batch));
    return catalog;
  }
  STRATA_RETURN_IF_ERROR(FromRocks(got, "read partition tag"));
  std::string version;
  STRATA_RETURN_IF_ERROR(
      FromRocks(raw->Get(rocksdb::ReadOptions(), ToSlice(kMetaVersion), &version), "version"));
  STRATA_RETURN_IF_ERROR(CheckVersion(dir, version));
  if (!partition_tag.empty() && partition_tag != stored_tag) {
    return Status::InvalidArgument("the data directory was created with partition tag '" +
                                   stored_tag + "'; it cannot change to '" + partition_tag + "'");
  }
  return catalog;
}

Result<std::unique_ptr<Catalog>> Catalog::OpenReadOnly(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = false;
  options.max_open_files = 64;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  if (!opened.ok() && !std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return Status::NotFound("no catalog in " + dir);
  }
  STRATA_RETURN_IF_ERROR(FromRocks(opened, "open " + dir + " read-only"));
  std::unique_ptr<Catalog> catalog(new Catalog(std::unique_ptr<rocksdb::DB>(raw)));
  std::string version;
  STRATA_RETURN_IF_ERROR(
      FromRocks(raw->Get(rocksdb::ReadOptions(), ToSlice(kMetaVersion), &version), "version"));
  STRATA_RETURN_IF_ERROR(CheckVersion(dir, version));
  return catalog;
}

Status Catalog::VerifyChecksums() const {
  return FromRocks(db_->VerifyChecksum(), "verify catalog checksums");
}

Result<CatalogState> Catalog::Load() const {
  CatalogState state;
  rocksdb::ReadOptions read;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  it->SeekToFirst();
  while (it->Valid()) {
    std::string_view key = ToView(it->key());
    std::string_view value = ToView(it->value());
    auto bad = [&](const char* what) {
      return Status::Corruption("catalog: bad " + std::string(what) + " entry");
    };
    if (key == kMetaPartitionTag) {
      state.partition_tag = std::string(value);
    } else if (key == kMetaCheckpoint || key == kMetaHighWater || key == kMetaNextFileId ||
               key == kMetaNextRollupId) {
      if (value.size() != 8) return bad("meta");
      uint64_t v = DecodeFixed64(value.data());
      if (key == kMetaCheckpoint) state.checkpoint_ns = static_cast<int64_t>(v);
      if (key == kMetaHighWater) state.high_water_ns = static_cast<int64_t>(v);
      if (key == kMetaNextFileId) state.next_file_id = v;
      if (key == kMetaNextRollupId) state.next_rollup_id = v;
    } else if (key.starts_with(kRollupRow)) {
      // Rows are read per query, never at start-up: jump past all of them.
      it->Seek(ToSlice(kRollupRowEnd));
      continue;
    } else if (key.starts_with(kRollup)) {
      RollupDef rollup;
      if (!DecodeRollup(key.substr(kRollup.size()), value, &rollup)) return bad("rollup");
      state.rollups.push_back(std::move(rollup));
    } else if (key.starts_with(kSeriesById)) {
      if (key.size() != kSeriesById.size() + 8) return bad("series");
      state.series.push_back(
          {SeriesId{GetBigEndian64(key.substr(kSeriesById.size()))}, std::string(value)});
    } else if (key.starts_with(kFieldType)) {
      std::string_view rest = key.substr(kFieldType.size());
      size_t nul = rest.find('\0');
      if (nul == std::string_view::npos || value.size() != 1) return bad("field");
      state.fields.push_back({std::string(rest.substr(0, nul)),
                              {std::string(rest.substr(nul + 1)),
                               static_cast<FieldType>(static_cast<uint8_t>(value[0]))}});
    } else if (key.starts_with(kChunkFile)) {
      ChunkFileMeta meta;
      if (!DecodeFileMeta(value, &meta)) return bad("chunk file");
      state.files.push_back(std::move(meta));
    }
    it->Next();
  }
  STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return state;
}

Status Catalog::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  STRATA_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: the memtable is flushed first, so the copy is SST files only and
  // needs no log replay when opened.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   "checkpoint into " + dir);
}

Status Catalog::Commit(CatalogBatch& batch) {
  batch.AppendSeriesEntries();
  rocksdb::WriteOptions write;
  write.sync = true;  // the file set must survive power loss once the flush says it is done
  return FromRocks(db_->Write(write, batch.batch_.get()), "commit");
}

class CatalogSnapshot {
 public:
  CatalogSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~CatalogSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  CatalogSnapshot(const CatalogSnapshot&) = delete;
  CatalogSnapshot& operator=(const CatalogSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

std::shared_ptr<const CatalogSnapshot> Catalog::NewSnapshot() const {
  return std::make_shared<const CatalogSnapshot>(db_.get());
}

Status Catalog::ForEachRollupRow(
    const CatalogSnapshot* snapshot, uint64_t rollup_id, SeriesId series, std::string_view field,
    int64_t from_bucket, int64_t to_bucket,
    const std::function<Status(int64_t bucket, std::string_view value)>& visit) const {
  if (from_bucket >= to_bucket) return Status::OK();
  const std::string prefix = RollupRowPrefix(rollup_id, series, field);
  const std::string first = RollupRowKey(rollup_id, series, field, from_bucket);
  const std::string end = RollupRowKey(rollup_id, series, field, to_bucket);
  rocksdb::ReadOptions read;
  if (snapshot != nullptr) read.snapshot = snapshot->get();
  const rocksdb::Slice upper = ToSlice(end);
  read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  for (it->Seek(ToSlice(first)); it->Valid(); it->Next()) {
    std::string_view key = ToView(it->key());
    if (key.size() != prefix.size() + 8 || !key.starts_with(prefix)) {
      return Status::Corruption("catalog: bad rollup row key");
    }
    const int64_t bucket =
        static_cast<int64_t>(GetBigEndian64(key.substr(prefix.size())) ^ (uint64_t{1} << 63));
    STRATA_RETURN_IF_ERROR(visit(bucket, ToView(it->value())));
  }
  return FromRocks(it->status(), "rollup scan");
}

class RollupRowCursor {
 public:
  RollupRowCursor(rocksdb::DB* db, std::shared_ptr<const CatalogSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {
    rocksdb::ReadOptions read;
    if (snapshot_ != nullptr) read.snapshot = snapshot_->get();
    it_.reset(db->NewIterator(read));
  }
  rocksdb::Iterator& it() { return *it_; }

 private:
  std::shared_ptr<const CatalogSnapshot> snapshot_;  // outlives the iterator
  std::unique_ptr<rocksdb::Iterator> it_;
};

std::shared_ptr<RollupRowCursor> Catalog::NewRollupCursor(
    std::shared_ptr<const CatalogSnapshot> snapshot) const {
  return std::make_shared<RollupRowCursor>(db_.get(), std::move(snapshot));
}

Status Catalog::ForEachRollupRow(
    RollupRowCursor& cursor, uint64_t rollup_id, SeriesId series, std::string_view field,
    int64_t from, int64_t to,
    const std::function<Status(int64_t start, std::string_view value)>& visit) {
  if (from >= to) return Status::OK();
  const std::string prefix = RollupRowPrefix(rollup_id, series, field);
  const std::string end = RollupRowKey(rollup_id, series, field, to);
  rocksdb::Iterator& it = cursor.it();
  for (it.Seek(ToSlice(RollupRowKey(rollup_id, series, field, from)));
       it.Valid() && ToView(it.key()) < std::string_view(end); it.Next()) {
    std::string_view key = ToView(it.key());
    if (key.size() != prefix.size() + 8 || !key.starts_with(prefix)) {
      return Status::Corruption("catalog: bad rollup row key");
    }
    const int64_t start =
        static_cast<int64_t>(GetBigEndian64(key.substr(prefix.size())) ^ (uint64_t{1} << 63));
    STRATA_RETURN_IF_ERROR(visit(start, ToView(it.value())));
  }
  return FromRocks(it.status(), "rollup scan");
}

Result<std::optional<std::string>> Catalog::GetRollupRow(uint64_t rollup_id, SeriesId series,
                                                         std::string_view field,
                                                         int64_t start) const {
  std::string value;
  rocksdb::Status got = db_->Get(rocksdb::ReadOptions(),
                                 ToSlice(RollupRowKey(rollup_id, series, field, start)), &value);
  if (got.IsNotFound()) return std::optional<std::string>();
  STRATA_RETURN_IF_ERROR(FromRocks(got, "read rollup row"));
  return std::optional<std::string>(std::move(value));
}

Result<bool> Catalog::HasRollupRows(uint64_t rollup_id) const {
  const std::string prefix = RollupIdPrefix(rollup_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(ToSlice(prefix));
  const bool found = it->Valid() && ToView(it->key()).starts_with(prefix);
  STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "rollup rows"));
  return found;
}

Status Catalog::CompactRollupRows(uint64_t rollup_id) {
  STRATA_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions()), "flush"));
  const std::string begin = RollupIdPrefix(rollup_id);
  const std::string end = RollupIdPrefix(rollup_id + 1);
  const rocksdb::Slice b = ToSlice(begin), e = ToSlice(end);
  rocksdb::CompactRangeOptions options;
  return FromRocks(db_->CompactRange(options, &b, &e), "compact rollup rows");
}

Result<std::vector<SeriesId>> Catalog::SeriesWithTag(std::string_view measurement,
                                                     std::string_view key,
                                                     std::string_view value) const {
  std::string prefix = Join0({measurement, key, value}, kTagIndex);
  prefix.push_back('\0');
  std::vector<SeriesId> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(prefix)); it->Valid() && ToView(it->key()).starts_with(prefix);
       it->Next()) {
    std::string_view k = ToView(it->key());
    if (k.size() != prefix.size() + 8) return Status::Corruption("catalog: bad tag index entry");
    ids.push_back(SeriesId{GetBigEndian64(k.substr(prefix.size()))});
  }
  STRATA_RETURN_IF_ERROR(FromRocks(it->status(), "tag index scan"));
  return ids;
}

CatalogBatch::CatalogBatch() : batch_(std::make_unique<rocksdb::WriteBatch>()) {}
CatalogBatch::~CatalogBatch() = default;

void CatalogBatch::PutSeries(SeriesId id, std::string_view key, std::string_view measurement,
                             const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string by_id(kSeriesById);
  PutBigEndian64(&by_id, id.value);
  series_entries_.emplace_back(std::move(by_id), std::string(key));
  std::string id_bytes;
  PutBigEndian64(&id_bytes, id.value);
  series_entries_.emplace_back(std::string(kSeriesByKey) + std::string(key), id_bytes);
  for (const auto& [k, v] : tags) {
    std::string index = Join0({measurement, k, v}, kTagIndex);
    index.push_back('\0');
    PutBigEndian64(&index, id.value);
    series_entries_.emplace_back(std::move(index), std::string());
  }
}

void CatalogBatch::AppendSeriesEntries() {
  // Stable: a series put twice keeps its last value.
  std::stable_sort(series_entries_.begin(), series_entries_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : series_entries_) batch_->Put(key, value);
  series_entries_.clear();
}

void CatalogBatch::PutField(std::string_view measurement, std::string_view field,
                            FieldType type) {
  batch_->Put(Join0({measurement, field}, kFieldType),
              std::string(1, static_cast<char>(type)));
}

void CatalogBatch::AddFile(const ChunkFileMeta& file) {
  batch_->Put(FileKey(file), EncodeFileMeta(file));
}

void CatalogBatch::RemoveFile(const ChunkFileMeta& file) { batch_->Delete(FileKey(file)); }

void CatalogBatch::SetCheckpoint(int64_t checkpoint_ns) {
  batch_->Put(ToSlice(kMetaCheckpoint), Fixed64Value(static_cast<uint64_t>(checkpoint_ns)));
}

void CatalogBatch::SetHighWater(int64_t high_water_ns) {
  batch_->Put(ToSlice(kMetaHighWater), Fixed64Value(static_cast<uint64_t>(high_water_ns)));
}

void CatalogBatch::SetNextFileId(uint64_t next_file_id) {
  batch_->Put(ToSlice(kMetaNextFileId), Fixed64Value(next_file_id));
}

void CatalogBatch::PutRollup(const RollupDef& rollup) {
  batch_->Put(ToSlice(kMetaVersion), Fixed64Value(kCatalogVersionWithRollups));
  batch_->Put(std::string(kRollup) + rollup.name, EncodeRollup(rollup));
}

void CatalogBatch::SetNextRollupId(uint64_t next_rollup_id) {
  batch_->Put(ToSlice(kMetaNextRollupId), Fixed64Value(next_rollup_id));
}

void CatalogBatch::DeleteRollup(const RollupDef& rollup) {
  batch_->Delete(std::string(kRollup) + rollup.name);
  DeleteRollupRows(rollup.id);
}

void CatalogBatch::DeleteRollupRows(uint64_t rollup_id) {
  batch_->DeleteRange(RollupIdPrefix(rollup_id), RollupIdPrefix(rollup_id + 1));
}

void CatalogBatch::PutRollupRow(uint64_t rollup_id, SeriesId series, std::string_view field,
                                int64_t bucket, std::string_view value) {
  batch_->Put(RollupRowKey(rollup_id, series, field, bucket), ToSlice(value));
}

void CatalogBatch::DeleteRollupRow(uint64_t rollup_id, SeriesId series, std::string_view field,
                                   int64_t bucket) {
  batch_->Delete(RollupRowKey(rollup_id, series, field, bucket));
}

void CatalogBatch::DeleteRollupRowsBefore(uint64_t rollup_id, SeriesId series,
                                          std::string_view field, int64_t bucket) {
  batch_->DeleteRange(RollupRowKey(rollup_id, series, field, INT64_MIN),
                      RollupRowKey(rollup_id, series, field, bucket));
}

size_t CatalogBatch::count() const { return batch_->Count() + series_entries_.size(); }

bool CatalogBatch::empty() const { return count() == 0; }

}  // namespace strata::engine
