// SHOW (DESIGN §7): the schema and the partitions, as tables with InfluxDB 1.x's column names
// (its per-measurement result sets flattened into one table by a `measurement` column).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "query/executor.h"
#include "query/series_filter.h"

namespace strata::query {
namespace {

using Row = std::vector<std::string>;

// Sorts, drops duplicates and streams the rows after the header. SHOW answers are as large as
// the schema, never as the data, so holding them to sort is fine.
Status Answer(const Row& header, std::vector<Row> rows, ResultSink& sink) {
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  STRATA_RETURN_IF_ERROR(sink.Header(header));
  for (const Row& row : rows) STRATA_RETURN_IF_ERROR(sink.Row(row));
  return Status::OK();
}

// FROM m, or every measurement.
std::vector<std::string> Measurements(const engine::Engine& engine,
                                      const ShowStatement& statement) {
  if (!statement.measurement.empty()) return {statement.measurement};
  return engine.series_index().Measurements();
}

// The series of the measurements that the WHERE (tag conditions only) selects.
Result<std::vector<const engine::SeriesInfo*>> SelectSeries(const engine::Engine& engine,
                                                            const ShowStatement& statement) {
  // ParseShow admits tag comparisons only, so no name may be taken for a field, even one that a
  // measurement also has as a field: split against no measurement (the empty name, which no
  // line can write), so the schema knows no field and every name is a tag. There is no time
  // condition either, so only the series predicate matters.
  STRATA_ASSIGN_OR_RETURN(const WhereClause where,
                          SplitWhere(statement.where.get(), "", engine.schema()));
  std::vector<const engine::SeriesInfo*> series;
  for (const std::string& m : Measurements(engine, statement)) {
    for (const engine::SeriesInfo* s : where.series.Select(engine.series_index(), m)) {
      series.push_back(s);
    }
  }
  return series;
}

Status ShowSeries(const engine::Engine& engine, const ShowStatement& statement, ResultSink& sink) {
  STRATA_ASSIGN_OR_RETURN(const auto series, SelectSeries(engine, statement));
  std::vector<Row> rows;
  for (const engine::SeriesInfo* s : series) rows.push_back({s->key});
  return Answer({"key"}, std::move(rows), sink);
}

Status ShowTagKeys(const engine::Engine& engine, const ShowStatement& statement, ResultSink& sink) {
  std::vector<Row> rows;
  for (const std::string& m : Measurements(engine, statement)) {
    for (const engine::SeriesInfo* s : engine.series_index().SeriesOf(m)) {
      for (const auto& [key, value] : s->tags) rows.push_back({m, key});
    }
  }
  return Answer({"measurement", "tagKey"}, std::move(rows), sink);
}

Status ShowTagValues(const engine::Engine& engine, const ShowStatement& statement,
                     ResultSink& sink) {
  STRATA_ASSIGN_OR_RETURN(const auto series, SelectSeries(engine, statement));
  std::vector<Row> rows;
  for (const engine::SeriesInfo* s : series) {
    // Only series that have the tag: TagValue's "" for a missing tag is not a value of it.
    for (const auto& [key, value] : s->tags) {
      if (key == statement.tag_key) rows.push_back({s->measurement, key, value});
    }
  }
  return Answer({"measurement", "key", "value"}, std::move(rows), sink);
}

Status ShowFieldKeys(const engine::Engine& engine, const ShowStatement& statement,
                     ResultSink& sink) {
  std::vector<Row> rows;
  for (const std::string& m : Measurements(engine, statement)) {
    for (const auto& [field, type] : engine.schema().Fields(m)) {
      rows.push_back({m, field, std::string(engine::FieldTypeName(type))});
    }
  }
  return Answer({"measurement", "fieldKey", "fieldType"}, std::move(rows), sink);
}

Status ShowPartitions(const engine::Engine& engine, ResultSink& sink) {
  // ChunkFiles comes grouped by partition in (region, day) order: one row per run. The rows are
  // not re-sorted as text, which would misplace dates before year 1000.
  const std::vector<engine::ChunkFileMeta> files = engine.ChunkFiles();
  STRATA_RETURN_IF_ERROR(
      sink.Header({"region", "date", "files", "bytes", "versions", "min_time", "max_time"}));
  for (size_t begin = 0; begin < files.size();) {
    size_t end = begin;
    uint64_t bytes = 0, versions = 0;
    int64_t min_ns = files[begin].min_valid_ns, max_ns = files[begin].max_valid_ns;
    for (; end < files.size() && files[end].region == files[begin].region &&
           files[end].date == files[begin].date;
         ++end) {
      bytes += files[end].size_bytes;
      versions += files[end].points;
      min_ns = std::min(min_ns, files[end].min_valid_ns);
      max_ns = std::max(max_ns, files[end].max_valid_ns);
    }
    STRATA_RETURN_IF_ERROR(sink.Row(
        {files[begin].region, files[begin].date, std::to_string(end - begin), std::to_string(bytes),
         std::to_string(versions), FormatTime(min_ns), FormatTime(max_ns)}));
    begin = end;
  }
  return Status::OK();
}

// 3600000000000 -> "1h": the largest unit that divides the interval exactly.
std::string FormatInterval(int64_t ns) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000'000'000, "d"}, {3'600'000'000'000, "h"}, {60'000'000'000, "m"},
      {1'000'000'000, "s"},      {1'000'000, "ms"},         {1'000, "us"}};
  for (const auto& [unit, suffix] : kUnits) {
    if (ns % unit == 0) return std::to_string(ns / unit) + suffix;
  }
  return std::to_string(ns) + "ns";
}

// The rollups with the system time their rows reflect: newer commits are still in memtables
// (queries read the buckets those touch from raw data).
Status ShowRollups(const engine::Engine& engine, ResultSink& sink) {
  const int64_t reflects = engine.Stats().rollup_system_time_ns;
  std::vector<Row> rows;
  for (const engine::RollupDef& r : engine.Rollups()) {
    rows.push_back({r.name, r.measurement, FormatInterval(r.interval_ns),
                    "count,sum,mean,min,max,first,last,spread", std::to_string(reflects)});
  }
  return Answer({"name", "measurement", "interval", "aggregates", "system_time"}, std::move(rows),
                sink);
}

}  // namespace

Status ExecuteShow(const engine::Engine& engine, const ShowStatement& statement, ResultSink& sink) {
  using What = ShowStatement::What;
  switch (statement.what) {
    case What::kMeasurements: {
      std::vector<Row> rows;
      for (std::string& m : engine.series_index().Measurements()) rows.push_back({std::move(m)});
      return Answer({"name"}, std::move(rows), sink);
    }
    case What::kSeries:
      return ShowSeries(engine, statement, sink);
    case What::kTagKeys:
      return ShowTagKeys(engine, statement, sink);
    case What::kTagValues:
      return ShowTagValues(engine, statement, sink);
    case What::kFieldKeys:
      return ShowFieldKeys(engine, statement, sink);
    case What::kPartitions:
      return ShowPartitions(engine, sink);
    case What::kRollups:
      return ShowRollups(engine, sink);
  }
  return Status::Internal("unknown SHOW statement");
}

}  // namespace strata::query
