// DELETE FROM <measurement> [WHERE ...] (DESIGN §7): a tombstone version for every point visible
// now that the statement matches (with conditions on fields: every field of the rows that
// match). Nothing is removed; AS OF an earlier time still sees the points.

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "engine/write_batch.h"
#include "query/executor.h"
#include "query/series_filter.h"

namespace strata::query {

Result<DeleteResult> ExecuteDelete(engine::Engine& engine, const DeleteStatement& statement,
                                   size_t max_batch_bytes) {
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
  // One snapshot for the whole statement, so a delete split over several commits still removes
  // exactly what was visible when it started.
  const engine::SystemTime as_of = engine.LastVisibleTime();
  DeleteResult result;
  result.system_time_ns = as_of.ns;
  if (where.time.min_ns >= where.time.max_ns) return result;

  const auto fields = engine.schema().Fields(statement.measurement);
  const auto series = where.series.Select(engine.series_index(), statement.measurement);
  engine::WriteBatch batch;
  std::optional<engine::SystemTime> last_commit;
  std::vector<int64_t> valid_times;  // of one (series, field): the scan must end before a commit
  for (const engine::SeriesInfo* s : series) {
    // With field conditions, whole rows go: every field at the times where the row matches.
    std::vector<int64_t> matching;
    if (!where.fields.empty()) {
      STRATA_ASSIGN_OR_RETURN(
          matching, where.fields.MatchingTimes(engine, s->id, where.time.min_ns, where.time.max_ns,
                                               as_of, nullptr));
      if (matching.empty()) continue;
    }
    for (const auto& [field, type] : fields) {
      valid_times.clear();
      STRATA_RETURN_IF_ERROR(
          engine.ScanField(s->id, field, where.time.min_ns, where.time.max_ns, as_of,
                           [&valid_times](int64_t valid_ns, const engine::FieldValue&) {
                             valid_times.push_back(valid_ns);
                           }));
      if (!where.fields.empty()) {
        std::vector<int64_t> kept;
        std::set_intersection(valid_times.begin(), valid_times.end(), matching.begin(),
                              matching.end(), std::back_inserter(kept));
        valid_times.swap(kept);
      }
      for (int64_t valid_ns : valid_times) {
        batch.AddTombstone(s->key, valid_ns, field, type);
        ++result.tombstones;
        if (batch.bytes() >= max_batch_bytes) {
          STRATA_ASSIGN_OR_RETURN(last_commit, engine.Commit(&batch));
        }
      }
    }
  }
  if (!batch.empty()) {
    STRATA_ASSIGN_OR_RETURN(last_commit, engine.Commit(&batch));
  }
  if (last_commit) {
    // Commits become visible in system-time order, so waiting for the last covers them all.
    STRATA_RETURN_IF_ERROR(engine.WaitForCommit(*last_commit));
    result.system_time_ns = last_commit->ns;
  }
  return result;
}

}  // namespace strata::query
