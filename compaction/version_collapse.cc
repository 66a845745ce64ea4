#include "compaction/version_collapse.h"

#include <vector>

namespace strata::compaction {

using engine::VersionColumn;

void CollapseVersions(const VersionColumn& rows, int64_t horizon_ns, VersionColumn* out,
                      CollapseCounts* counts) {
  CollapseCounts local;
  CollapseCounts& count = counts != nullptr ? *counts : local;
  count.rows_in += rows.size();
  VersionColumn sorted = rows;
  engine::SortVersions(&sorted);  // stable: rows with equal keys keep their given order
  out->Clear();
  out->type = rows.type;
  out->Reserve(sorted.size());

  std::vector<size_t> batches;   // of the current valid time: the last row of each system time
  std::vector<size_t> versions;  // of those, the ones that are versions, oldest first
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin;
    batches.clear();
    while (end < sorted.size() && sorted.valid_ns[end] == sorted.valid_ns[begin]) {
      const size_t row = end++;
      if (!batches.empty() && sorted.system_ns[batches.back()] == sorted.system_ns[row]) {
        batches.back() = row;  // one batch wrote the point twice: the later line wins
        ++count.redundant;
      } else {
        batches.push_back(row);
      }
    }
    versions.clear();
    for (size_t row : batches) {
      // A tombstone of an absent point, or a rewrite of the visible content, is no version.
      const bool redundant = versions.empty()
                                 ? sorted.tombstone[row] != 0
                                 : engine::SameVersionContent(sorted, versions.back(), sorted, row);
      if (redundant) {
        ++count.redundant;
      } else {
        versions.push_back(row);
      }
    }
    bool kept_any = false;
    for (size_t k = 0; k < versions.size(); ++k) {
      const size_t row = versions[k];
      const bool current = k + 1 == versions.size();
      if (!current && sorted.system_ns[versions[k + 1]] < horizon_ns) {
        ++count.superseded;
        continue;
      }
      // A current tombstone past the horizon, or one whose predecessors were all dropped, hides
      // nothing any more: the point is absent with or without it.
      if (sorted.tombstone[row] != 0 && (!kept_any || sorted.system_ns[row] < horizon_ns)) {
        ++count.expired_tombstones;
        continue;
      }
      out->AppendRow(sorted, row);
      kept_any = true;
    }
    begin = end;
  }
}

}  // namespace strata::compaction
