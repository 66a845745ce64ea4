#include "query/explain.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/field_scan.h"
#include "query/executor.h"
#include "query/series_filter.h"

namespace strata::query {
namespace {

// Counts the rows of the real answer and drops them: EXPLAIN reports how many there were.
class CountingSink final : public ResultSink {
 public:
  Status Header(const std::vector<std::string>& /*columns*/) override { return Status::OK(); }
  Status Row(const std::vector<std::string>& /*cells*/) override {
    ++rows_;
    return Status::OK();
  }
  uint64_t rows() const { return rows_; }

 private:
  uint64_t rows_ = 0;
};

// A duration in the largest unit that divides it exactly, as the query language writes it.
std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  struct Unit {
    int64_t ns;
    const char* suffix;
  };
  constexpr Unit kUnits[] = {{86'400'000'000'000, "d"}, {3'600'000'000'000, "h"},
                             {60'000'000'000, "m"},     {1'000'000'000, "s"},
                             {1'000'000, "ms"},         {1'000, "us"}};
  for (const Unit& unit : kUnits) {
    if (ns % unit.ns == 0) return std::to_string(ns / unit.ns) + unit.suffix;
  }
  return std::to_string(ns) + "ns";
}

// The item as the parser names its column when there is no alias (parser_select.cc), so a
// different column name is an alias.
std::string ItemText(const SelectItem& item) {
  std::string text = item.field;
  if (!item.function.empty()) {
    text = item.function + "(" + item.field;
    for (const Literal& arg : item.args) text += "," + arg.text;
    text += ")";
  }
  if (item.column_name != text) text += " AS " + item.column_name;
  return text;
}

// The statement re-printed from its parsed form: what was understood, not what was typed. The
// WHERE is summarised by the time and series lines that follow it.
std::string StatementText(const SelectStatement& statement) {
  std::string text = statement.versions ? "SELECT VERSIONS " : "SELECT ";
  for (size_t i = 0; i < statement.items.size(); ++i) {
    if (i) text += ", ";
    text += ItemText(statement.items[i]);
  }
  text += " FROM " + statement.measurement;
  if (statement.where) text += " WHERE ...";
  const GroupBy& group_by = statement.group_by;
  std::vector<std::string> dimensions;
  if (group_by.interval_ns > 0) {
    std::string time = "time(" + FormatDuration(group_by.interval_ns);
    if (group_by.offset_ns != 0) {
      time += ", " + (group_by.offset_ns < 0 ? "-" + FormatDuration(-group_by.offset_ns)
                                             : FormatDuration(group_by.offset_ns));
    }
    dimensions.push_back(time + ")");
  }
  if (group_by.all_tags) dimensions.push_back("*");
  dimensions.insert(dimensions.end(), group_by.tags.begin(), group_by.tags.end());
  for (size_t i = 0; i < dimensions.size(); ++i) {
    text += (i ? ", " : " GROUP BY ") + dimensions[i];
  }
  switch (statement.fill.mode) {
    case Fill::Mode::kNull:
      break;  // the default, not worth a word
    case Fill::Mode::kNone:
      text += " FILL(none)";
      break;
    case Fill::Mode::kPrevious:
      text += " FILL(previous)";
      break;
    case Fill::Mode::kLinear:
      text += " FILL(linear)";
      break;
    case Fill::Mode::kValue:
      text += " FILL(" + statement.fill.text + ")";
      break;
  }
  if (statement.descending) text += " ORDER BY time DESC";
  if (statement.limit) text += " LIMIT " + std::to_string(*statement.limit);
  return text;
}

std::string TimeText(const TimeRange& range) {
  if (range.min_ns >= range.max_ns) return "time: empty range";
  const std::string from =
      range.min_ns == std::numeric_limits<int64_t>::min() ? "-inf" : FormatTime(range.min_ns);
  const std::string to =
      range.max_ns == std::numeric_limits<int64_t>::max() ? "+inf" : FormatTime(range.max_ns);
  return "time: [" + from + ", " + to + ")";
}

}  // namespace

Status ExecuteExplain(const engine::Engine& engine, const SelectStatement& statement,
                      ResultSink& sink, const engine::ScanContext& limits) {
  // The same split ExecuteSelect makes: an error here is the statement's own error.
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
  const size_t all_series = engine.series_index().SeriesOf(statement.measurement).size();
  const size_t matched = where.series.Select(engine.series_index(), statement.measurement).size();

  engine::ScanContext counters;
  counters.deadline = limits.deadline;
  counters.memory_limit_bytes = limits.memory_limit_bytes;
  CountingSink rows;
  STRATA_RETURN_IF_ERROR(ExecuteSelect(engine, statement, rows, &counters));

  std::vector<std::string> plan;
  plan.push_back(StatementText(statement));
  plan.push_back(TimeText(where.time));
  plan.push_back("as of: " +
                 (statement.as_of_ns ? FormatTime(*statement.as_of_ns) : std::string("latest")));
  plan.push_back("series: " + std::to_string(matched) + " of " + std::to_string(all_series) +
                 " matched");
  if (statement.versions) {
    // VERSIONS reads through ScanFieldVersions, which keeps no counters: say so rather than
    // print zeros that would look measured.
    plan.push_back("scan counters: not collected for SELECT VERSIONS");
  } else {
    const auto n = [](uint64_t v) { return std::to_string(v); };
    plan.push_back("scans: " + n(counters.scans));
    plan.push_back("partitions: read " + n(counters.partitions_read) + ", pruned " +
                   n(counters.partitions_pruned) + " (summed over scans)");
    plan.push_back("files: read " + n(counters.files_read) + ", pruned " +
                   n(counters.files_pruned) + " (summed over scans)");
    plan.push_back("blocks: decoded " + n(counters.blocks_decoded) + ", answered from statistics " +
                   n(counters.blocks_from_stats) + ", skipped " + n(counters.blocks_skipped));
    plan.push_back("memtable rows: " + n(counters.memtable_rows));
    if (counters.last_value_hits + counters.last_value_fills > 0) {
      plan.push_back("last-value cache: " + n(counters.last_value_hits) + " hits, " +
                     n(counters.last_value_fills) + " filled by a scan");
    }
  }
  plan.push_back("rows: " + std::to_string(rows.rows()));
  if (counters.rollup.empty()) {
    plan.push_back("rollups: none");
  } else {
    plan.push_back("rollups: " + counters.rollup + " (" + std::to_string(counters.rollup_buckets) +
                   " buckets from the rollup, " + std::to_string(counters.rollup_raw_scans) +
                   " raw scans of partial or unflushed buckets, " +
                   std::to_string(counters.rollup_cache_hits) + " series-fields from the cache)");
  }

  STRATA_RETURN_IF_ERROR(sink.Header({"plan"}));
  for (const std::string& line : plan) STRATA_RETURN_IF_ERROR(sink.Row({line}));
  return Status::OK();
}

}  // namespace strata::query
