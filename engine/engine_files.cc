// File-set access for compaction (engine.h): snapshots of the file set and the atomic
// replacement of a partition's files. Crash safety: the catalog batch is the commit point. Before
// it, the old files are the data and new files are orphans; after it, the new files are the data
// and the replaced ones are orphans. Orphans are removed at the next start.

#include <algorithm>
#include <set>

#include "engine/engine.h"

namespace strata::engine {

std::shared_ptr<const FileSet> Engine::FileSetSnapshot() const {
  MutexLock lock(&mu_);
  return files_;
}

Status Engine::ReplaceFiles(const PartitionKey& partition,
                            const std::vector<uint64_t>& replaced_file_ids,
                            const std::vector<ChunkFileMeta>& added) {
  MutexLock replace_lock(&replace_mu_);
  const std::set<uint64_t> replaced_ids(replaced_file_ids.begin(), replaced_file_ids.end());
  if (replaced_ids.size() != replaced_file_ids.size()) {
    return Status::InvalidArgument("ReplaceFiles: a file id is named twice");
  }
  // Only replacements change existing entries and they are serialized by replace_mu_, so the
  // files found now are still current at the swap below.
  std::vector<ChunkFile> replaced;
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Unavailable("engine is closed");
    auto it = files_->partitions.find(partition);
    if (it != files_->partitions.end()) {
      for (const ChunkFile& file : it->second) {
        if (replaced_ids.count(file.meta.file_id)) replaced.push_back(file);
      }
    }
  }
  if (replaced.size() != replaced_ids.size()) {
    return Status::InvalidArgument("ReplaceFiles: some of the files to replace are no longer in "
                                   "partition " + partition.ToString());
  }
  for (const ChunkFileMeta& meta : added) {
    if (meta.region != partition.region || meta.date != partition.Date()) {
      return Status::InvalidArgument("ReplaceFiles: new file " + std::to_string(meta.file_id) +
                                     " is not of partition " + partition.ToString());
    }
  }

  // Open the new files before the commit: a file that does not open must not be recorded.
  Env& env = *options_.env;
  std::vector<ChunkFile> opened;
  for (const ChunkFileMeta& meta : added) {
    STRATA_ASSIGN_OR_RETURN(auto reader,
                            chunk::ChunkReader::Open(env, ChunkPath(partition, meta.file_id)));
    opened.push_back(ChunkFile::Make(env, meta, std::move(reader)));
  }

  CatalogBatch batch;
  for (const ChunkFile& file : replaced) batch.RemoveFile(file.meta);
  for (const ChunkFileMeta& meta : added) batch.AddFile(meta);
  {
    MutexLock commit_lock(&catalog_commit_mu_);
    batch.SetNextFileId(next_file_id_.load());
    STRATA_RETURN_IF_ERROR(catalog_->Commit(batch));
  }

  {
    MutexLock lock(&mu_);
    auto files = std::make_shared<FileSet>(*files_);
    std::vector<ChunkFile>& list = files->partitions[partition];
    // The new files take the place of the first replaced one: the outputs hold versions older
    // than any file a flush added meanwhile, so the partition stays in system-time order.
    auto first = std::find_if(list.begin(), list.end(), [&](const ChunkFile& f) {
      return replaced_ids.count(f.meta.file_id) > 0;
    });
    const size_t position = static_cast<size_t>(first - list.begin());
    std::erase_if(list, [&](const ChunkFile& f) { return replaced_ids.count(f.meta.file_id) > 0; });
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(std::min(position, list.size())),
                opened.begin(), opened.end());
    if (list.empty()) files->partitions.erase(partition);
    files_ = std::move(files);
  }
  // Deleted from disk when the last snapshot holding them (the old file sets) lets go.
  for (const ChunkFile& file : replaced) file.handle->MarkObsolete();
  return Status::OK();
}

}  // namespace strata::engine
