// Staging a consistent image of the data directory for a backup (engine.h, StageBackup).
// Why it is consistent: the catalog names the chunk files and a WAL checkpoint; every change to
// either is a catalog commit, taken under catalog_commit_mu_. Holding that lock, the catalog
// state C is fixed, its checkpoint is <= the newest visible time T (a flush checkpoints what
// was visible when it froze), every record <= T is already written to a segment (a commit is
// visible only after its write), and the only segments a concurrent clean-up may still delete
// are those C's checkpoint covers (it deletes after its own commit, which C includes). So
// C + its chunk files + the WAL records in (checkpoint, T] are exactly the data as of T.

#include <algorithm>

#include "engine/engine.h"
#include "util/logging.h"
#include "wal/segment.h"

namespace strata::engine {
namespace {

// Hard link, or a byte copy where links are not possible (another file system).
Status LinkOrCopy(Env& env, const std::string& from, const std::string& to) {
  Status linked = env.LinkFile(from, to);
  if (linked.code() != StatusCode::kNotSupported) return linked;
  STRATA_ASSIGN_OR_RETURN(auto in, env.NewRandomAccessFile(from));
  STRATA_ASSIGN_OR_RETURN(auto out, env.NewWritableFile(to));
  std::string buffer;
  for (uint64_t offset = 0; offset < in->Size();) {
    STRATA_RETURN_IF_ERROR(in->Read(offset, 1 << 20, &buffer));
    if (buffer.empty()) break;
    STRATA_RETURN_IF_ERROR(out->Append(buffer));
    offset += buffer.size();
  }
  return out->Close();
}

}  // namespace

std::string Engine::BackupStagingRoot() const {
  return JoinPath(options_.data_dir, "backup-staging");
}

Result<Engine::BackupImage> Engine::StageBackup(const std::string& staging_dir) {
  Env& env = *options_.env;
  if (env.FileExists(staging_dir)) {
    return Status::InvalidArgument("backup staging directory " + staging_dir + " already exists");
  }
  STRATA_RETURN_IF_ERROR(env.CreateDirs(staging_dir));
  BackupImage image;
  MutexLock commit_lock(&catalog_commit_mu_);
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Unavailable("engine is closed");
  }
  image.system_time_ns = LastVisibleTime().ns;
  const std::string catalog_dir = JoinPath(staging_dir, "catalog");
  STRATA_RETURN_IF_ERROR(catalog_->Checkpoint(catalog_dir));
  STRATA_ASSIGN_OR_RETURN(auto catalog_files, env.GetChildren(catalog_dir));
  for (const std::string& name : catalog_files) image.files.push_back("catalog/" + name);

  // No commit can happen now, so the live catalog is the checkpoint's state.
  STRATA_ASSIGN_OR_RETURN(CatalogState state, catalog_->Load());
  image.checkpoint_ns = state.checkpoint_ns;
  const size_t prefix = staging_dir.size() + 1;  // "<staging_dir>/"
  for (const ChunkFileMeta& meta : state.files) {
    PartitionKey key{meta.region, 0};
    if (!ParseDay(meta.date, &key.day)) {
      return Status::Corruption("catalog: bad partition date '" + meta.date + "'");
    }
    const std::string staged = ChunkPathOf(staging_dir, key, meta.file_id);
    STRATA_RETURN_IF_ERROR(env.CreateDirs(DirName(staged)));
    STRATA_RETURN_IF_ERROR(LinkOrCopy(env, ChunkPath(key, meta.file_id), staged));
    image.files.push_back(staged.substr(prefix));
  }

  const std::string wal_dir = JoinPath(options_.data_dir, "wal");
  const std::string staged_wal = JoinPath(staging_dir, "wal");
  STRATA_RETURN_IF_ERROR(env.CreateDirs(staged_wal));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, wal::ListSegments(env, wal_dir));
  for (uint64_t number : segments) {
    const std::string staged = wal::SegmentPath(staged_wal, number);
    Status linked = LinkOrCopy(env, wal::SegmentPath(wal_dir, number), staged);
    // Deleted since the listing: a flush that committed before we took the lock removed a
    // segment its (and so C's) checkpoint covers. Not needed.
    if (linked.IsNotFound()) continue;
    STRATA_RETURN_IF_ERROR(linked);
    image.files.push_back(staged.substr(prefix));
  }
  std::sort(image.files.begin(), image.files.end());
  return image;
}

}  // namespace strata::engine
