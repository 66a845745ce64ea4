#include "query/field_filter.h"

#include <algorithm>
#include <bit>

#include "query/aggregate.h"  // Int128
#include "util/std_regex.h"

namespace strata::query {

struct FieldFilter::Node {
  enum class Op { kAnd, kOr, kCompare };
  enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe, kMatch, kNoMatch };
  Op op = Op::kCompare;
  std::unique_ptr<Node> left, right;
  size_t field = 0;  // index into FieldFilter::fields_
  engine::FieldType type = engine::FieldType::kFloat;
  Cmp cmp = Cmp::kEq;
  bool integer_literal = false;  // compare int/uint fields exactly
  int64_t integer = 0;
  double number = 0;
  std::string text;
  std::regex regex;
};

namespace {

using Node = FieldFilter::Node;

Result<Node::Cmp> ParseComparator(const Condition& c) {
  const std::string& op = c.comparator;
  if (op == "=") return Node::Cmp::kEq;
  if (op == "!=") return Node::Cmp::kNe;
  if (op == "<") return Node::Cmp::kLt;
  if (op == "<=") return Node::Cmp::kLe;
  if (op == ">") return Node::Cmp::kGt;
  if (op == ">=") return Node::Cmp::kGe;
  if (op == "=~") return Node::Cmp::kMatch;
  if (op == "!~") return Node::Cmp::kNoMatch;
  return ErrorAt(c, "unknown comparison '" + op + "'");
}

template <typename T>
bool Compare(Node::Cmp cmp, const T& a, const T& b) {
  switch (cmp) {
    case Node::Cmp::kEq:
      return a == b;
    case Node::Cmp::kNe:
      return a != b;
    case Node::Cmp::kLt:
      return a < b;
    case Node::Cmp::kLe:
      return a <= b;
    case Node::Cmp::kGt:
      return a > b;
    case Node::Cmp::kGe:
      return a >= b;
    case Node::Cmp::kMatch:
    case Node::Cmp::kNoMatch:
      break;
  }
  return false;
}

// One field's value in the row being evaluated.
struct Cell {
  bool present = false;
  uint64_t bits = 0;
  const std::string* text = nullptr;
};

bool Evaluate(const Node& node, const std::vector<Cell>& row) {
  switch (node.op) {
    case Node::Op::kAnd:
      return Evaluate(*node.left, row) && Evaluate(*node.right, row);
    case Node::Op::kOr:
      return Evaluate(*node.left, row) || Evaluate(*node.right, row);
    case Node::Op::kCompare:
      break;
  }
  const Cell& cell = row[node.field];
  if (!cell.present) return false;
  switch (node.type) {
    case engine::FieldType::kFloat:
      return Compare(node.cmp, std::bit_cast<double>(cell.bits), node.number);
    case engine::FieldType::kInt: {
      const auto v = static_cast<int64_t>(cell.bits);
      if (node.integer_literal) return Compare(node.cmp, v, node.integer);
      return Compare(node.cmp, static_cast<double>(v), node.number);
    }
    case engine::FieldType::kUint:
      if (node.integer_literal) {
        return Compare(node.cmp, static_cast<Int128>(cell.bits), static_cast<Int128>(node.integer));
      }
      return Compare(node.cmp, static_cast<double>(cell.bits), node.number);
    case engine::FieldType::kBool:
      return Compare(node.cmp, static_cast<int64_t>(cell.bits != 0), node.integer);
    case engine::FieldType::kString:
      if (node.cmp == Node::Cmp::kMatch || node.cmp == Node::Cmp::kNoMatch) {
        const bool found = std::regex_search(*cell.text, node.regex);
        return found == (node.cmp == Node::Cmp::kMatch);
      }
      return Compare(node.cmp, *cell.text, node.text);
  }
  return false;
}

// Every point of one (series, field) in the range, as of the scan.
class Builder {
 public:
  Builder(std::string_view measurement, const engine::Schema& schema,
          std::vector<std::string>* fields)
      : measurement_(measurement), schema_(schema), fields_(fields) {}

  Result<std::unique_ptr<Node>> Build(const Condition& c) {
    if (c.op != Condition::Op::kCompare) {
      auto node = std::make_unique<Node>();
      node->op = c.op == Condition::Op::kAnd ? Node::Op::kAnd : Node::Op::kOr;
      STRATA_ASSIGN_OR_RETURN(node->left, Build(*c.left));
      STRATA_ASSIGN_OR_RETURN(node->right, Build(*c.right));
      return node;
    }
    auto type = schema_.Lookup(measurement_, c.name);
    if (!type.ok())
      return ErrorAt(c, "'" + c.name + "' is not a field of " + std::string(measurement_));
    auto node = std::make_unique<Node>();
    node->type = *type;
    STRATA_ASSIGN_OR_RETURN(node->cmp, ParseComparator(c));
    const bool ordering = node->cmp != Node::Cmp::kEq && node->cmp != Node::Cmp::kNe;
    const bool regex = node->cmp == Node::Cmp::kMatch || node->cmp == Node::Cmp::kNoMatch;
    const std::string type_name(engine::FieldTypeName(*type));
    const Literal& v = c.value;
    switch (*type) {
      case engine::FieldType::kFloat:
      case engine::FieldType::kInt:
      case engine::FieldType::kUint:
        if (regex || (v.kind != Literal::Kind::kInteger && v.kind != Literal::Kind::kNumber)) {
          return ErrorAt(c, "field '" + c.name + "' is " + type_name +
                                "; compare it with a number using =, !=, <, <=, > or >=");
        }
        node->integer_literal =
            v.kind == Literal::Kind::kInteger && *type != engine::FieldType::kFloat;
        node->integer = v.integer;
        node->number = v.number;
        break;
      case engine::FieldType::kBool:
        if (ordering || v.kind != Literal::Kind::kBool) {
          return ErrorAt(c, "field '" + c.name +
                                "' is boolean; compare it with = or != and "
                                "true or false");
        }
        node->integer = v.integer;
        break;
      case engine::FieldType::kString:
        if (regex) {
          if (v.kind != Literal::Kind::kRegex) {
            return ErrorAt(c, "'" + c.comparator + "' takes a /regex/");
          }
          // std::regex reports a bad pattern only by throwing; no exception leaves this module.
          try {
            node->regex = std::regex(v.text, std::regex::ECMAScript | std::regex::optimize);
          } catch (const std::regex_error& e) {
            return ErrorAt(c, "invalid regular expression /" + v.text + "/: " + e.what());
          }
        } else if (ordering || v.kind != Literal::Kind::kString) {
          return ErrorAt(c, "field '" + c.name +
                                "' is string; compare it with = or != and a "
                                "'string', or with =~ or !~ and a /regex/");
        }
        node->text = v.text;
        break;
    }
    auto at = std::find(fields_->begin(), fields_->end(), c.name);
    node->field = static_cast<size_t>(at - fields_->begin());
    if (at == fields_->end()) fields_->push_back(c.name);
    return node;
  }

 private:
  std::string_view measurement_;
  const engine::Schema& schema_;
  std::vector<std::string>* fields_;
};

// Re-points every leaf's field index from `from`'s numbering into `into`, adding fields.
void Renumber(Node* node, const std::vector<std::string>& from, std::vector<std::string>* into) {
  if (node->op != Node::Op::kCompare) {
    Renumber(node->left.get(), from, into);
    Renumber(node->right.get(), from, into);
    return;
  }
  const std::string& name = from[node->field];
  auto at = std::find(into->begin(), into->end(), name);
  node->field = static_cast<size_t>(at - into->begin());
  if (at == into->end()) into->push_back(name);
}

}  // namespace

FieldFilter::FieldFilter() = default;
FieldFilter::~FieldFilter() = default;
FieldFilter::FieldFilter(FieldFilter&&) noexcept = default;
FieldFilter& FieldFilter::operator=(FieldFilter&&) noexcept = default;

Result<FieldFilter> FieldFilter::Build(const Condition& condition, std::string_view measurement,
                                       const engine::Schema& schema) {
  FieldFilter filter;
  filter.position_ = std::to_string(condition.line) + ":" + std::to_string(condition.column);
  STRATA_ASSIGN_OR_RETURN(filter.root_,
                          Builder(measurement, schema, &filter.fields_).Build(condition));
  return filter;
}

void FieldFilter::And(FieldFilter other) {
  if (other.empty()) return;
  if (empty()) {
    *this = std::move(other);
    return;
  }
  auto node = std::make_unique<Node>();
  node->op = Node::Op::kAnd;
  node->left = std::move(root_);  // position_ stays that of the first condition
  Renumber(other.root_.get(), other.fields_, &fields_);
  node->right = std::move(other.root_);
  root_ = std::move(node);
}

Result<std::vector<int64_t>> FieldFilter::MatchingTimes(const engine::Engine& engine,
                                                        engine::SeriesId series, int64_t min_ns,
                                                        int64_t max_ns, engine::SystemTime as_of,
                                                        engine::ScanContext* counters) const {
  std::vector<int64_t> matching;
  if (empty()) return matching;
  std::vector<PointColumn> columns(fields_.size());
  for (size_t f = 0; f < fields_.size(); ++f) {
    STRATA_RETURN_IF_ERROR(
        engine.ScanFieldBatches(series, fields_[f], min_ns, max_ns, as_of, columns[f], counters));
  }
  // Merge the columns by time: each row is one timestamp with the fields that have a value.
  std::vector<size_t> next(fields_.size(), 0);
  std::vector<Cell> row(fields_.size());
  while (true) {
    int64_t t = INT64_MAX;
    bool any = false;
    for (size_t f = 0; f < columns.size(); ++f) {
      if (next[f] < columns[f].times.size()) {
        t = std::min(t, columns[f].times[next[f]]);
        any = true;
      }
    }
    if (!any) break;
    for (size_t f = 0; f < columns.size(); ++f) {
      const PointColumn& col = columns[f];
      row[f] = Cell{};
      if (next[f] < col.times.size() && col.times[next[f]] == t) {
        row[f] =
            Cell{true, col.bits[next[f]], col.strings.empty() ? nullptr : &col.strings[next[f]]};
        ++next[f];
      }
    }
    if (Evaluate(*root_, row)) matching.push_back(t);
  }
  return matching;
}

void TimeFilteringConsumer::TakePoints(const engine::PointBatch& batch) {
  valid_ns_.clear();
  bits_.clear();
  strings_.clear();
  for (size_t i = 0; i < batch.size && next_ < times_.size(); ++i) {
    const int64_t t = batch.valid_ns[i];
    while (next_ < times_.size() && times_[next_] < t) ++next_;
    if (next_ == times_.size() || times_[next_] != t) continue;
    valid_ns_.push_back(t);
    bits_.push_back(batch.bits[i]);
    if (batch.strings) strings_.push_back(batch.strings[i]);
  }
  if (valid_ns_.empty()) return;
  engine::PointBatch filtered = batch;
  filtered.valid_ns = valid_ns_.data();
  filtered.bits = bits_.data();
  filtered.strings = batch.strings ? strings_.data() : nullptr;
  filtered.size = valid_ns_.size();
  downstream_.TakePoints(filtered);
}

void PointColumn::TakePoints(const engine::PointBatch& batch) {
  times.insert(times.end(), batch.valid_ns, batch.valid_ns + batch.size);
  bits.insert(bits.end(), batch.bits, batch.bits + batch.size);
  if (batch.strings) strings.insert(strings.end(), batch.strings, batch.strings + batch.size);
}

void PointColumn::Clear() {
  times.clear();
  bits.clear();
  strings.clear();
}

}  // namespace strata::query
