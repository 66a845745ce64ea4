#include "engine/file_set.h"

#include <utility>

#include "util/logging.h"

namespace strata::engine {

ChunkFileHandle::ChunkFileHandle(Env& env, std::shared_ptr<chunk::ChunkReader> reader)
    : env_(env), reader_(std::move(reader)) {}

ChunkFileHandle::~ChunkFileHandle() {
  if (!obsolete()) return;
  const std::string path = reader_->path();
  reader_.reset();  // close before unlinking
  Status removed = env_.RemoveFile(path);
  // NotFound: a restart's orphan removal took it first (a snapshot outlived its engine).
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
    // Not fatal: a file the catalog does not name is removed at the next start anyway.
    STRATA_LOG(kWarn, "could not remove replaced chunk file {}: {}", path, removed.ToString());
  }
}

ChunkFile ChunkFile::Make(Env& env, const ChunkFileMeta& meta,
                          std::shared_ptr<chunk::ChunkReader> reader) {
  auto handle = std::make_shared<ChunkFileHandle>(env, std::move(reader));
  ChunkFile file;
  file.meta = meta;
  file.reader = std::shared_ptr<chunk::ChunkReader>(handle, handle->reader().get());
  file.handle = std::move(handle);
  return file;
}

}  // namespace strata::engine
