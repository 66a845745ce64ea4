#include "query/series_filter.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "util/std_regex.h"

namespace strata::query {

struct SeriesFilter::Node {
  enum class Op { kAnd, kOr, kEqual, kNotEqual, kMatch, kNoMatch };
  Op op = Op::kEqual;
  std::unique_ptr<const Node> left, right;  // kAnd, kOr
  std::string tag;                          // the comparisons
  std::string value;                        // kEqual, kNotEqual
  std::regex regex;                         // kMatch, kNoMatch
};

namespace {

using Node = SeriesFilter::Node;
using NodePtr = std::unique_ptr<const Node>;

Status Unsupported(const Condition& c, const std::string& what) {
  return ErrorAt(c, what + " is not supported yet");
}

bool MentionsTime(const Condition& c) {
  if (c.op == Condition::Op::kCompare) return c.name == "time";
  return MentionsTime(*c.left) || MentionsTime(*c.right);
}

// Narrows range by one comparison on time.
Status NarrowTime(const Condition& c, TimeRange* range) {
  const int64_t t = c.value.integer;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // max_ns is exclusive, so time <= max int64 cannot be expressed and is clamped (no point
  // carries that timestamp in practice).
  const int64_t after_t = t == kMax ? kMax : t + 1;
  if (c.comparator == ">=") {
    range->min_ns = std::max(range->min_ns, t);
  } else if (c.comparator == ">") {
    range->min_ns = std::max(range->min_ns, after_t);
  } else if (c.comparator == "<") {
    range->max_ns = std::min(range->max_ns, t);
  } else if (c.comparator == "<=") {
    range->max_ns = std::min(range->max_ns, after_t);
  } else if (c.comparator == "=") {
    range->min_ns = std::max(range->min_ns, t);
    range->max_ns = std::min(range->max_ns, after_t);
  } else {
    return Unsupported(c, "time " + c.comparator);
  }
  return Status::OK();
}

NodePtr Combine(Node::Op op, NodePtr left, NodePtr right) {
  auto node = std::make_unique<Node>();
  node->op = op;
  node->left = std::move(left);
  node->right = std::move(right);
  return node;
}

// Builds the tag predicate of a WHERE, narrowing the time range on the way.
class Splitter {
 public:
  Splitter(std::string_view measurement, const engine::Schema& schema)
      : measurement_(measurement), schema_(schema) {}

  // A condition ANDed at the top level: time comparisons narrow *range and leave no node
  // (null: true).
  // Field conditions are ANDed into *fields.
  Result<NodePtr> TopLevel(const Condition& c, TimeRange* range, FieldFilter* fields) {
    if (c.op != Condition::Op::kAnd && MentionsField(c)) {
      if (MentionsTime(c) || MentionsTag(c)) {
        return Unsupported(c, "a condition mixing fields with tags or time under OR");
      }
      STRATA_ASSIGN_OR_RETURN(FieldFilter filter, FieldFilter::Build(c, measurement_, schema_));
      fields->And(std::move(filter));
      return NodePtr{};
    }
    switch (c.op) {
      case Condition::Op::kAnd: {
        STRATA_ASSIGN_OR_RETURN(NodePtr left, TopLevel(*c.left, range, fields));
        STRATA_ASSIGN_OR_RETURN(NodePtr right, TopLevel(*c.right, range, fields));
        if (!left) return right;
        if (!right) return left;
        return Combine(Node::Op::kAnd, std::move(left), std::move(right));
      }
      case Condition::Op::kOr:
        // Points at the OR: the time condition alone is fine, its place is the problem.
        if (MentionsTime(c)) return Unsupported(c, "OR with a time condition");
        return Tags(c);
      case Condition::Op::kCompare:
        if (c.name == "time") {
          STRATA_RETURN_IF_ERROR(NarrowTime(c, range));
          return NodePtr{};
        }
        return Tags(c);
    }
    return Status::Internal("unknown condition operator");
  }

 private:
  bool IsField(const Condition& c) const { return schema_.Lookup(measurement_, c.name).ok(); }
  bool MentionsField(const Condition& c) const {
    if (c.op == Condition::Op::kCompare) return c.name != "time" && IsField(c);
    return MentionsField(*c.left) || MentionsField(*c.right);
  }
  bool MentionsTag(const Condition& c) const {
    if (c.op == Condition::Op::kCompare) return c.name != "time" && !IsField(c);
    return MentionsTag(*c.left) || MentionsTag(*c.right);
  }

  // A condition with no time comparison in it.
  Result<NodePtr> Tags(const Condition& c) {
    if (c.op == Condition::Op::kCompare) return Leaf(c);
    STRATA_ASSIGN_OR_RETURN(NodePtr left, Tags(*c.left));
    STRATA_ASSIGN_OR_RETURN(NodePtr right, Tags(*c.right));
    return Combine(c.op == Condition::Op::kAnd ? Node::Op::kAnd : Node::Op::kOr, std::move(left),
                   std::move(right));
  }

  Result<NodePtr> Leaf(const Condition& c) {
    auto node = std::make_unique<Node>();
    node->tag = c.name;
    if (c.comparator == "=~" || c.comparator == "!~") {
      node->op = c.comparator == "=~" ? Node::Op::kMatch : Node::Op::kNoMatch;
      // std::regex reports a bad pattern only by throwing; no exception leaves this module.
      try {
        node->regex = std::regex(c.value.text, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        return ErrorAt(c, "invalid regular expression /" + c.value.text + "/: " + e.what());
      }
      return NodePtr(std::move(node));
    }
    if (c.comparator != "=" && c.comparator != "!=") {
      return ErrorAt(c, "tag '" + c.name + "' cannot be compared with '" + c.comparator +
                            "'; tags take =, !=, =~ or !~");
    }
    if (c.value.kind != Literal::Kind::kString) {
      return ErrorAt(c, "tag '" + c.name + "' is compared with a 'string', not " + c.value.text);
    }
    node->op = c.comparator == "=" ? Node::Op::kEqual : Node::Op::kNotEqual;
    node->value = c.value.text;
    return NodePtr(std::move(node));
  }

  std::string_view measurement_;
  const engine::Schema& schema_;
};

bool Evaluate(const Node& node, const engine::SeriesInfo& series) {
  switch (node.op) {
    case Node::Op::kAnd:
      return Evaluate(*node.left, series) && Evaluate(*node.right, series);
    case Node::Op::kOr:
      return Evaluate(*node.left, series) || Evaluate(*node.right, series);
    case Node::Op::kEqual:
      return series.TagValue(node.tag) == node.value;
    case Node::Op::kNotEqual:
      return series.TagValue(node.tag) != node.value;
    case Node::Op::kMatch:
    case Node::Op::kNoMatch: {
      const std::string_view value = series.TagValue(node.tag);
      const bool found = std::regex_search(value.begin(), value.end(), node.regex);
      return found == (node.op == Node::Op::kMatch);
    }
  }
  return false;
}

}  // namespace

SeriesFilter::SeriesFilter() = default;
SeriesFilter::~SeriesFilter() = default;
SeriesFilter::SeriesFilter(SeriesFilter&&) noexcept = default;
SeriesFilter& SeriesFilter::operator=(SeriesFilter&&) noexcept = default;

bool SeriesFilter::Matches(const engine::SeriesInfo& series) const {
  return !root_ || Evaluate(*root_, series);
}

namespace {

using SeriesList = std::vector<const engine::SeriesInfo*>;

bool ById(const engine::SeriesInfo* a, const engine::SeriesInfo* b) {
  return a->id.value < b->id.value;
}

// A superset of the series the node matches, in id order, from the tag posting lists; nullopt
// when the lists cannot narrow it (!=, regular expressions, `tag = ''`, an OR with such a side).
std::optional<SeriesList> Candidates(const Node& node, const engine::SeriesIndex& index,
                                     std::string_view measurement) {
  switch (node.op) {
    case Node::Op::kEqual:
      if (node.value.empty()) return std::nullopt;  // also the series without the tag
      return index.SeriesWithTag(measurement, node.tag, node.value);
    case Node::Op::kAnd: {
      std::optional<SeriesList> left = Candidates(*node.left, index, measurement);
      std::optional<SeriesList> right = Candidates(*node.right, index, measurement);
      if (!left || !right) return left ? std::move(left) : std::move(right);
      SeriesList both;
      std::set_intersection(left->begin(), left->end(), right->begin(), right->end(),
                            std::back_inserter(both), ById);
      return both;
    }
    case Node::Op::kOr: {
      std::optional<SeriesList> left = Candidates(*node.left, index, measurement);
      if (!left) return std::nullopt;
      std::optional<SeriesList> right = Candidates(*node.right, index, measurement);
      if (!right) return std::nullopt;
      SeriesList either;
      std::set_union(left->begin(), left->end(), right->begin(), right->end(),
                     std::back_inserter(either), ById);
      return either;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::vector<const engine::SeriesInfo*> SeriesFilter::Select(const engine::SeriesIndex& index,
                                                            std::string_view measurement) const {
  std::optional<SeriesList> candidates;
  if (root_) candidates = Candidates(*root_, index, measurement);
  SeriesList series = candidates ? std::move(*candidates) : index.SeriesOf(measurement);
  // The candidates are a superset: the whole predicate still decides.
  std::erase_if(series, [this](const engine::SeriesInfo* s) { return !Matches(*s); });
  return series;
}

Result<WhereClause> SplitWhere(const Condition* where, std::string_view measurement,
                               const engine::Schema& schema) {
  WhereClause clause;
  if (where == nullptr) return clause;
  STRATA_ASSIGN_OR_RETURN(
      clause.series.root_,
      Splitter(measurement, schema).TopLevel(*where, &clause.time, &clause.fields));
  return clause;
}

}  // namespace strata::query
