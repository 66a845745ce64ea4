// SELECT VERSIONS <field> (DESIGN §7): every version of one field, with the system-time interval
// in which it was the current one.

#include <algorithm>
#include <cassert>
#include <string>
#include <string_view>
#include <vector>

#include "query/executor_internal.h"
#include "query/series_filter.h"

namespace strata::query {
namespace {

// The sorted union of the series' tag keys: the answer's tag columns.
std::vector<std::string> TagKeys(const std::vector<const engine::SeriesInfo*>& series) {
  std::vector<std::string> keys;
  for (const engine::SeriesInfo* s : series) {
    for (const auto& [key, value] : s->tags) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Orders series by their tag values in column order (a missing tag is ""), so each series'
// rows form one tag group and groups come in the order of their cells. Two series cannot tie
// on every tag unless one has a tag with an empty value; the key then decides, for a stable
// answer.
void SortByTags(const std::vector<std::string>& keys,
                std::vector<const engine::SeriesInfo*>* series) {
  std::sort(series->begin(), series->end(),
            [&keys](const engine::SeriesInfo* a, const engine::SeriesInfo* b) {
              for (const std::string& key : keys) {
                const int order = a->TagValue(key).compare(b->TagValue(key));
                if (order != 0) return order < 0;
              }
              return a->key < b->key;
            });
}

}  // namespace

Status ExecuteSelectVersions(const engine::Engine& engine, const SelectStatement& statement,
                             ResultSink& sink) {
  assert(statement.versions && statement.items.size() == 1);  // the parser allows nothing else
  const SelectItem& item = statement.items.front();
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
  if (!where.fields.empty()) {
    return Status::InvalidArgument(where.fields.position() +
                                   " SELECT VERSIONS takes no condition on field values");
  }
  const engine::SystemTime as_of =
      statement.as_of_ns ? engine::SystemTime{*statement.as_of_ns} : engine.LastVisibleTime();

  std::vector<const engine::SeriesInfo*> series =
      where.series.Select(engine.series_index(), statement.measurement);
  const std::vector<std::string> tag_keys = TagKeys(series);
  SortByTags(tag_keys, &series);

  std::vector<std::string> row;
  row.push_back("time");
  row.insert(row.end(), tag_keys.begin(), tag_keys.end());
  const size_t value_column = row.size();
  row.push_back(item.column_name);
  row.push_back("system_from");
  row.push_back("system_to");
  row.push_back("tombstone");
  STRATA_RETURN_IF_ERROR(sink.Header(row));

  // An unknown field has no versions; the header alone is the answer.
  if (!engine.schema().Lookup(statement.measurement, item.field).ok()) return Status::OK();
  if (where.time.min_ns >= where.time.max_ns) return Status::OK();

  // Rows go to the sink as the engine produces them; only one row is ever held here.
  for (const engine::SeriesInfo* s : series) {
    for (size_t i = 0; i < tag_keys.size(); ++i) row[1 + i] = s->TagValue(tag_keys[i]);
    Status emitted;
    STRATA_RETURN_IF_ERROR(engine.ScanFieldVersions(
        s->id, item.field, where.time.min_ns, where.time.max_ns, as_of,
        [&](const engine::VersionView& v) {
          if (!emitted.ok()) return;  // the sink failed: drop the rest of this series
          row[0] = FormatTime(v.valid_ns);
          row[value_column] = v.tombstone ? std::string() : FormatFieldValue(v.value);
          row[value_column + 1] = FormatTime(v.system_from_ns);
          row[value_column + 2] =
              v.system_to_ns == engine::kOpenSystemTo ? std::string() : FormatTime(v.system_to_ns);
          row[value_column + 3] = v.tombstone ? "true" : "false";
          emitted = sink.Row(row);
        }));
    STRATA_RETURN_IF_ERROR(emitted);
  }
  return Status::OK();
}

}  // namespace strata::query
