#include "util/env.h"

namespace strata {

Result<std::string> ReadFileToString(Env& env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  std::string data;
  STRATA_RETURN_IF_ERROR(file->Read(0, file->Size(), &data));
  return data;
}

Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    STRATA_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(tmp));
    STRATA_RETURN_IF_ERROR(file->Append(data));
    STRATA_RETURN_IF_ERROR(file->Sync());
    STRATA_RETURN_IF_ERROR(file->Close());
  }
  STRATA_RETURN_IF_ERROR(env.RenameFile(tmp, path));
  return env.SyncDir(DirName(path));
}

Status Env::LinkFile(const std::string& from, const std::string& to) {
  return Status::NotSupported("hard link " + from + " -> " + to + ": not supported by this Env");
}

Status Env::RemoveDir(const std::string& dir) {
  return Status::NotSupported("remove directory " + dir + ": not supported by this Env");
}

Status RemoveTree(Env& env, const std::string& path) {
  auto children = env.GetChildren(path);
  if (!children.ok()) {
    // Not a directory (or gone): a file to remove, or nothing.
    Status removed = env.RemoveFile(path);
    return removed.IsNotFound() ? Status::OK() : removed;
  }
  for (const std::string& name : *children) {
    STRATA_RETURN_IF_ERROR(RemoveTree(env, JoinPath(path, name)));
  }
  Status removed = env.RemoveDir(path);
  return removed.IsNotFound() ? Status::OK() : removed;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace strata
