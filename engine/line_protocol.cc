#include "engine/line_protocol.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstring>
#include <limits>

// Grammar, escaping and error format: docs/format/line_protocol.md v1.

#include "engine/line_values.h"
#include "util/checksum.h"
#include "util/utf8.h"

namespace strata::engine {
namespace {

using namespace line_values;

// Byte classes for the scanners: one table lookup per byte on the hot path.
constexpr uint8_t kComma = 1;
constexpr uint8_t kSpace = 2;
constexpr uint8_t kEquals = 4;
constexpr uint8_t kBackslash = 8;

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> classes{};
  classes[static_cast<unsigned char>(',')] = kComma;
  classes[static_cast<unsigned char>(' ')] = kSpace;
  classes[static_cast<unsigned char>('=')] = kEquals;
  classes[static_cast<unsigned char>('\\')] = kBackslash;
  return classes;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

inline uint8_t ClassOf(char c) { return kClasses[static_cast<unsigned char>(c)]; }

// What ends each kind of name, and which bytes a backslash escapes in it. A backslash before
// any other byte is literal. '=' is an ordinary byte in a measurement name.
constexpr uint8_t kMeasurementStop = kComma | kSpace;
constexpr uint8_t kMeasurementEscapable = kComma | kSpace | kBackslash;
constexpr uint8_t kNameStop = kComma | kSpace | kEquals;
constexpr uint8_t kNameEscapable = kComma | kSpace | kEquals | kBackslash;

// The rest of ScanName once a backslash shows up at `p`: copies [start, p) to *w and unescapes
// from there. Kept out of line so the escape-free scan inlines into its callers.
[[gnu::noinline]] const char* ScanEscapedName(const char* start, const char* p, const char* end,
                                              uint8_t stop, uint8_t escapable, char** w,
                                              std::string_view* name) {
  char* const out = *w;
  char* o = out;
  std::memcpy(o, start, static_cast<size_t>(p - start));
  o += p - start;
  while (p < end) {
    const uint8_t cls = ClassOf(*p);
    if (cls & kBackslash) {
      if (p + 1 < end && (ClassOf(p[1]) & escapable) != 0) {
        *o++ = p[1];
        p += 2;
      } else {
        *o++ = '\\';
        ++p;
      }
    } else if (cls & stop) {
      break;
    } else {
      *o++ = *p++;
    }
  }
  *name = std::string_view(out, static_cast<size_t>(o - out));
  *w = o;
  return p;
}

// Scans a name from `p` up to the first unescaped byte whose class is in `stop`, or `end`.
// Without a backslash the name is a view into the input (the common case); otherwise it is
// unescaped into *w, which advances; the caller guarantees room for `end - p` bytes there.
// Sets *escaped when any backslash was seen, so the caller knows the raw text is not canonical.
// Returns where scanning stopped.
inline const char* ScanName(const char* p, const char* end, uint8_t stop, uint8_t escapable,
                            char** w, std::string_view* name, bool* escaped) {
  const char* const start = p;
  const uint8_t stop_or_escape = stop | kBackslash;
  while (p < end && (ClassOf(*p) & stop_or_escape) == 0) ++p;
  if (p == end || *p != '\\') {
    *name = std::string_view(start, static_cast<size_t>(p - start));
    return p;
  }
  *escaped = true;
  return ScanEscapedName(start, p, end, stop, escapable, w, name);
}

// Writes `name` with a backslash before every byte whose class is in `special`; returns the end.
char* AppendEscaped(char* o, std::string_view name, uint8_t special) {
  for (char c : name) {
    if (ClassOf(c) & special) *o++ = '\\';
    *o++ = c;
  }
  return o;
}

// Quotes user text for an error message, cut at 64 bytes (on a UTF-8 boundary) so a huge bad
// token cannot blow up the reply line.
std::string Quoted(std::string_view text) {
  constexpr size_t kMaxQuoted = 64;
  std::string out = "'";
  if (text.size() <= kMaxQuoted) {
    out.append(text);
  } else {
    size_t cut = kMaxQuoted;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    out.append(text.substr(0, cut));
    out.append("...");
  }
  out.push_back('\'');
  return out;
}

Status ColumnError(size_t column, std::string_view reason) {
  return Status::InvalidArgument("column " + std::to_string(column) + ": " + std::string(reason));
}


struct PrecisionInfo {
  int64_t ns_per_unit;
  const char* name;
};

PrecisionInfo InfoOf(Precision precision) {
  static constexpr PrecisionInfo kInfo[] = {
      {1, "ns"}, {1'000, "us"}, {1'000'000, "ms"}, {1'000'000'000, "s"}};
  static_assert(static_cast<int>(Precision::kNanoseconds) == 0 &&
                static_cast<int>(Precision::kSeconds) == 3);
  return kInfo[static_cast<int>(precision)];
}

using KeyRefs = std::vector<std::pair<std::string_view, uint32_t>>;


// Byte order of names; the first byte settles most comparisons without a memcmp call.
inline bool KeyLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

inline char* CopyShort(char* o, const char* s, size_t n) {
  // Short names dominate; fixed-size copies compile to plain moves, unlike a memcpy call.
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) std::memcpy(o + i, s + i, 8);
    std::memcpy(o + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(o, s, 4);
    std::memcpy(o + n - 4, s + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; ++i) o[i] = s[i];
  }
  return o + n;
}

// Index (in line order) of the first key that repeats an earlier one, or -1. Sorts `refs`.
int64_t FirstRepeatInSorted(KeyRefs& refs) {
  std::sort(refs.begin(), refs.end());
  int64_t first = -1;
  for (size_t k = 1; k < refs.size(); ++k) {
    // Pairs sort by (key, index), so within a run of equal keys the second entry is the
    // earliest repeat of that key.
    if (refs[k].first == refs[k - 1].first && (k < 2 || refs[k - 2].first != refs[k].first)) {
      if (first < 0 || refs[k].second < first) first = refs[k].second;
    }
  }
  return first;
}

}  // namespace

// One Parse() call: a cursor over the line, writing into `out` and the parser's buffers.
class LineParser::Scanner {
 public:
  Scanner(LineParser& parser, std::string_view line, ParsedLine* out)
      : begin_(line.data()),
        end_(line.data() + line.size()),
        p_(line.data()),
        w_(parser.scratch_.data()),
        out_(out),
        parser_(parser) {}

  Status Run() {
    STRATA_RETURN_IF_ERROR(CheckBytes());
    LineParser::CachedPrefix* slot = FindPrefixSlot();
    const bool cached = slot != nullptr && slot->prefix == raw_prefix_;
    if (cached) {
      STRATA_RETURN_IF_ERROR(UseCachedPrefix(*slot));
    } else {
      STRATA_RETURN_IF_ERROR(ParseMeasurementAndTags());
    }
    STRATA_RETURN_IF_ERROR(ParseFields());
    STRATA_RETURN_IF_ERROR(ParseTimestamp());
    if (!cached) {
      BuildSeriesKey();
      if (slot != nullptr) RememberPrefix(slot);
    }
    assert(w_ <= parser_.scratch_.data() + parser_.scratch_.size());
    return Status::OK();
  }

 private:
  size_t Column(const char* at) const { return static_cast<size_t>(at - begin_) + 1; }

  Status Error(const char* at, std::string_view reason) const {
    return ColumnError(Column(at), reason);
  }

  // Bytes no part of the grammar may contain: a newline (the caller splits lines, so one here
  // means the line was built wrongly) and invalid UTF-8 (DESIGN §6.1 rejects such writes).
  Status CheckBytes() const {
    const size_t size = static_cast<size_t>(end_ - begin_);
    if (const void* nl = std::memchr(begin_, '\n', size)) {
      return Error(static_cast<const char*>(nl), "unexpected newline inside a line");
    }
    const size_t bad = FindInvalidUtf8(std::string_view(begin_, size));
    if (bad != std::string_view::npos) return Error(begin_ + bad, "invalid UTF-8");
    return Status::OK();
  }

  // The cache slot for this line's raw prefix (the bytes before its first space), or null when
  // the prefix cannot be cached: none, or a backslash in it (an escaped space would make the
  // first space the wrong end). Without a backslash, the first space is where the full parse
  // ends the prefix too, so equal prefixes parse alike.
  LineParser::CachedPrefix* FindPrefixSlot() {
    const size_t size = static_cast<size_t>(end_ - begin_);
    const void* space = std::memchr(begin_, ' ', size);
    if (space == nullptr || space == begin_) return nullptr;
    raw_prefix_ = std::string_view(begin_, static_cast<size_t>(static_cast<const char*>(space) - begin_));
    if (std::memchr(raw_prefix_.data(), '\\', raw_prefix_.size()) != nullptr) return nullptr;
    auto& cache = parser_.prefix_cache_;
    if (cache.empty()) cache.resize(kPrefixCacheSlots);
    return &cache[Checksum64(raw_prefix_) & (kPrefixCacheSlots - 1)];
  }

  Status UseCachedPrefix(const LineParser::CachedPrefix& slot) {
    out_->measurement = slot.measurement;
    out_->tags.assign(slot.tags.begin(), slot.tags.end());
    out_->series_key = slot.series_key;
    out_->series_token = slot.series_token;
    p_ = begin_ + raw_prefix_.size();
    while (p_ < end_ && *p_ == ' ') ++p_;
    if (p_ == end_) return Error(p_, "missing field set");
    return Status::OK();
  }

  void RememberPrefix(LineParser::CachedPrefix* slot) const {
    static std::atomic<uint64_t> next_series_token{1};
    slot->series_token = next_series_token.fetch_add(1, std::memory_order_relaxed);
    out_->series_token = slot->series_token;
    slot->prefix.assign(raw_prefix_);
    slot->series_key.assign(out_->series_key);
    slot->measurement.assign(out_->measurement);
    slot->tag_text.clear();
    for (const Tag& tag : out_->tags) {
      slot->tag_text.append(tag.key);
      slot->tag_text.append(tag.value);
    }
    slot->tags.clear();
    size_t at = 0;
    const std::string_view text = slot->tag_text;
    for (const Tag& tag : out_->tags) {
      const std::string_view key = text.substr(at, tag.key.size());
      at += tag.key.size();
      slot->tags.push_back(Tag{key, text.substr(at, tag.value.size())});
      at += tag.value.size();
    }
  }

  Status ParseMeasurementAndTags() {
    std::string_view measurement;
    p_ = ScanName(p_, end_, kMeasurementStop, kMeasurementEscapable, &w_, &measurement,
                  &prefix_escaped_);
    if (measurement.empty()) return Error(p_, "empty measurement name");
    out_->measurement = measurement;

    parser_.tag_columns_.clear();
    while (p_ < end_ && *p_ == ',') {
      ++p_;
      const char* key_start = p_;
      std::string_view key;
      p_ = ScanName(p_, end_, kNameStop, kNameEscapable, &w_, &key, &prefix_escaped_);
      if (key.empty()) return Error(key_start, "empty tag key");
      if (p_ == end_ || *p_ != '=') {
        return Error(p_, "expected '=' after tag key " + Quoted(key));
      }
      ++p_;
      const char* value_start = p_;
      std::string_view value;
      p_ = ScanName(p_, end_, kNameStop, kNameEscapable, &w_, &value, &prefix_escaped_);
      if (p_ < end_ && *p_ == '=') {
        return Error(p_, "unescaped '=' in the value of tag " + Quoted(key));
      }
      if (value.empty()) return Error(value_start, "empty value for tag " + Quoted(key));
      if (!out_->tags.empty() && !KeyLess(out_->tags.back().key, key)) tags_sorted_ = false;
      out_->tags.push_back(Tag{key, value});
      parser_.tag_columns_.push_back(static_cast<uint32_t>(Column(key_start)));
    }
    prefix_end_ = p_;
    if (!tags_sorted_) STRATA_RETURN_IF_ERROR(SortTags());

    // Only a space or the end can stop the scan here; '=' after a tag value was rejected above.
    while (p_ < end_ && *p_ == ' ') ++p_;
    if (p_ == end_) return Error(p_, "missing field set");
    return Status::OK();
  }

  // Puts the tags in key order, rejecting a repeated key at its second occurrence.
  Status SortTags() {
    std::vector<Tag>& tags = out_->tags;
    const size_t n = tags.size();
    // A strictly increasing chain under the previous order proves it sorts this line too, and
    // that the keys are unique: n - 1 comparisons instead of a sort.
    bool reuse = parser_.tag_order_.size() == n;
    for (size_t k = 1; reuse && k < n; ++k) {
      reuse = KeyLess(tags[parser_.tag_order_[k - 1]].key, tags[parser_.tag_order_[k]].key);
    }
    if (!reuse) {
      parser_.key_refs_.clear();
      for (uint32_t i = 0; i < n; ++i) parser_.key_refs_.emplace_back(tags[i].key, i);
      const int64_t repeat = FirstRepeatInSorted(parser_.key_refs_);
      if (repeat >= 0) {
        return ColumnError(parser_.tag_columns_[static_cast<size_t>(repeat)],
                           "duplicate tag key " + Quoted(tags[static_cast<size_t>(repeat)].key));
      }
      parser_.tag_order_.clear();
      for (const auto& ref : parser_.key_refs_) parser_.tag_order_.push_back(ref.second);
    }
    parser_.tag_tmp_.clear();
    for (uint32_t index : parser_.tag_order_) parser_.tag_tmp_.push_back(tags[index]);
    tags.assign(parser_.tag_tmp_.begin(), parser_.tag_tmp_.end());
    return Status::OK();
  }

  Status ParseFields() {
    parser_.field_columns_.clear();
    // While every key so far is the last shape's key at its position, the next one is first
    // compared with the shape's next key instead of scanned.
    const auto& shape = parser_.shape_fields_;
    bool on_shape = parser_.shape_keys_plain_;
    const char* shape_key = parser_.shape_keys_.data();
    for (size_t i = 0;; ++i) {
      const char* key_start = p_;
      std::string_view key;
      bool escaped = false;
      if (on_shape && i < shape.size() && IsKeyAt(p_, shape_key, shape[i].first)) {
        key = std::string_view(p_, shape[i].first);
        p_ += shape[i].first;  // at the '='
        shape_key += shape[i].first;
      } else {
        on_shape = false;
        p_ = ScanName(p_, end_, kNameStop, kNameEscapable, &w_, &key, &escaped);
      }
      if (key.empty()) {
        if (!out_->fields.empty() && (p_ == end_ || *p_ == ' ' || *p_ == ',')) {
          return Error(p_, "expected a field key after ','");
        }
        return Error(key_start, "empty field key");
      }
      if (p_ == end_ || *p_ != '=') {
        int64_t unused;
        if (out_->fields.empty() && p_ == end_ &&
            ParseInt64(key, &unused) != NumberParse::kInvalid) {
          return Error(key_start, "missing field set before timestamp " + Quoted(key));
        }
        return Error(p_, "expected '=' after field key " + Quoted(key));
      }
      ++p_;
      // Parsed in place: a value built on the stack and then copied was read back with one
      // 16-byte load over the parser's narrower stores, which stalls store forwarding (a third
      // of this function's time in a profile).
      Field& field = out_->fields.emplace_back();
      field.key = key;
      STRATA_RETURN_IF_ERROR(ParseFieldValue(key, &field.value));
      parser_.field_columns_.push_back(static_cast<uint32_t>(Column(key_start)));
      if (p_ == end_ || *p_ == ' ') break;
      ++p_;  // ','
    }
    if (on_shape ? SameShapeTypes() : RepeatsShape()) {
      out_->shape_id = parser_.shape_id_;
      return Status::OK();
    }
    STRATA_RETURN_IF_ERROR(CheckFieldKeysUnique());
    RememberShape();
    return Status::OK();
  }

  // Whether the `length` bytes at p are `key` and a '=' follows them.
  bool IsKeyAt(const char* p, const char* key, size_t length) const {
    return static_cast<size_t>(end_ - p) > length && p[length] == '=' &&
           std::memcmp(p, key, length) == 0;
  }

  // For a line whose keys all matched the shape's, in order: whether it has exactly the
  // shape's fields, of the shape's types.
  bool SameShapeTypes() const {
    const std::vector<Field>& fields = out_->fields;
    if (fields.size() != parser_.shape_fields_.size()) return false;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].value.type != parser_.shape_fields_[i].second) return false;
    }
    return true;
  }

  bool RepeatsShape() const {
    const std::vector<Field>& fields = out_->fields;
    if (parser_.shape_id_ == 0 || fields.size() != parser_.shape_fields_.size()) return false;
    const char* key = parser_.shape_keys_.data();
    for (size_t i = 0; i < fields.size(); ++i) {
      const auto [length, type] = parser_.shape_fields_[i];
      if (fields[i].key.size() != length || fields[i].value.type != type ||
          std::memcmp(fields[i].key.data(), key, length) != 0) {
        return false;
      }
      key += length;
    }
    return true;
  }

  void RememberShape() {
    static std::atomic<uint64_t> next_shape_id{1};
    parser_.shape_keys_.clear();
    parser_.shape_fields_.clear();
    bool plain = true;
    for (const Field& field : out_->fields) {
      parser_.shape_keys_.append(field.key);
      parser_.shape_fields_.emplace_back(static_cast<uint32_t>(field.key.size()),
                                         field.value.type);
      for (char c : field.key) plain = plain && (ClassOf(c) & kNameEscapable) == 0;
    }
    parser_.shape_keys_plain_ = plain;
    parser_.shape_id_ = next_shape_id.fetch_add(1, std::memory_order_relaxed);
    out_->shape_id = parser_.shape_id_;
  }

  Status CheckFieldKeysUnique() {
    const std::vector<Field>& fields = out_->fields;
    int64_t repeat = -1;
    // Pairwise for the usual handful of fields (mostly length checks); sort when a line has
    // many, so a hostile line cannot make this quadratic.
    constexpr size_t kPairwiseLimit = 16;
    if (fields.size() <= kPairwiseLimit) {
      for (size_t j = 1; j < fields.size() && repeat < 0; ++j) {
        for (size_t i = 0; i < j; ++i) {
          if (fields[i].key == fields[j].key) {
            repeat = static_cast<int64_t>(j);
            break;
          }
        }
      }
    } else {
      parser_.key_refs_.clear();
      for (uint32_t i = 0; i < fields.size(); ++i) parser_.key_refs_.emplace_back(fields[i].key, i);
      repeat = FirstRepeatInSorted(parser_.key_refs_);
    }
    if (repeat < 0) return Status::OK();
    const auto index = static_cast<size_t>(repeat);
    return ColumnError(parser_.field_columns_[index],
                       "duplicate field key " + Quoted(fields[index].key));
  }

  Status ParseFieldValue(std::string_view key, FieldValue* value) {
    const char* start = p_;
    if (p_ == end_ || *p_ == ',' || *p_ == ' ') {
      return Error(start, "missing value for field " + Quoted(key));
    }
    if (*p_ == '"') return ParseStringValue(key, value);
    if ((IsDigit(*p_) || *p_ == '-') && ParseCommonNumber(p_, end_, value, &p_)) {
      return Status::OK();
    }

    const char* q = p_;
    while (q < end_ && (ClassOf(*q) & (kComma | kSpace)) == 0) ++q;
    p_ = q;
    const std::string_view token(start, static_cast<size_t>(q - start));
    bool b;
    double d;
    if (ParseBool(token, &b)) {
      *value = FieldValue::Bool(b);
      return Status::OK();
    }
    if (ParseSpecialFloat(token, &d)) {
      *value = FieldValue::Float(d);
      return Status::OK();
    }
    const char first = token.front();
    if (!IsDigit(first) && first != '.' && first != '-' && first != '+') {
      return Error(start, "invalid value " + Quoted(token) + " for field " + Quoted(key) +
                              " (strings must be double-quoted)");
    }
    if (token.back() == 'i' || token.back() == 'u') {
      return ParseIntegerValue(token, key, start, value);
    }
    const bool decimal =
        IsDigit(first) || first == '.' ||
        (first == '-' && token.size() > 1 && (IsDigit(token[1]) || token[1] == '.'));
    if (decimal) {
      const NumberParse result = ParseDecimalFloat(token, &d);
      if (result == NumberParse::kOk) {
        *value = FieldValue::Float(d);
        return Status::OK();
      }
      if (result == NumberParse::kOutOfRange) {
        return Error(start,
                     "float value " + Quoted(token) + " out of range for field " + Quoted(key));
      }
    }
    // Name the type the writer most likely meant: "12x" reads as an integer, "1.2.3" as a float.
    const bool looks_float = token.find_first_of(".eEnN") != std::string_view::npos;
    return Error(start,
                 std::string(looks_float ? "invalid float value " : "invalid integer value ") +
                     Quoted(token) + " for field " + Quoted(key));
  }

  // `token` ends in 'i' (int64) or 'u' (uint64).
  Status ParseIntegerValue(std::string_view token, std::string_view key, const char* start,
                           FieldValue* value) {
    const bool is_unsigned = token.back() == 'u';
    const std::string_view digits = token.substr(0, token.size() - 1);
    uint64_t bits = 0;
    const NumberParse result =
        ParseDecimalInteger(digits, /*allow_minus=*/!is_unsigned, is_unsigned, &bits);
    const char* kind = is_unsigned ? "unsigned integer value " : "integer value ";
    if (result == NumberParse::kInvalid) {
      return Error(start,
                   std::string("invalid ") + kind + Quoted(token) + " for field " + Quoted(key));
    }
    if (result == NumberParse::kOutOfRange) {
      return Error(start, kind + Quoted(token) + " out of range for field " + Quoted(key));
    }
    *value = is_unsigned ? FieldValue::Uint(bits) : FieldValue::Int(static_cast<int64_t>(bits));
    return Status::OK();
  }

  // A double-quoted string; `\"` is a quote and `\\` a backslash, any other backslash literal.
  Status ParseStringValue(std::string_view key, FieldValue* value) {
    const char* open = p_;
    const char* q = p_ + 1;
    const auto* close =
        static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end_ - q)));
    if (close != nullptr && std::memchr(q, '\\', static_cast<size_t>(close - q)) == nullptr) {
      *value = FieldValue::String(std::string_view(q, static_cast<size_t>(close - q)));
      p_ = close + 1;
    } else {
      char* const out = w_;
      char* o = out;
      bool closed = false;
      while (q < end_) {
        if (*q == '\\' && q + 1 < end_ && (q[1] == '"' || q[1] == '\\')) {
          *o++ = q[1];
          q += 2;
        } else if (*q == '"') {
          closed = true;
          break;
        } else {
          *o++ = *q++;
        }
      }
      if (!closed) return Error(open, "unterminated string value for field " + Quoted(key));
      *value = FieldValue::String(std::string_view(out, static_cast<size_t>(o - out)));
      w_ = o;
      p_ = q + 1;
    }
    if (p_ < end_ && *p_ != ',' && *p_ != ' ') {
      return Error(p_, "expected ',' or ' ' after the string value of field " + Quoted(key));
    }
    return Status::OK();
  }

  Status ParseTimestamp() {
    while (p_ < end_ && *p_ == ' ') ++p_;
    if (p_ == end_) return Status::OK();
    const std::string_view token(p_, static_cast<size_t>(end_ - p_));
    int64_t raw = 0;
    const NumberParse result = ParseInt64(token, &raw);
    if (result == NumberParse::kInvalid) {
      return Error(p_, "timestamp " + Quoted(token) + " is not an integer");
    }
    int64_t ns = 0;
    if (result == NumberParse::kOutOfRange ||
        __builtin_mul_overflow(raw, InfoOf(parser_.precision_).ns_per_unit, &ns)) {
      return Error(p_, "timestamp " + Quoted(token) + " out of range at precision " +
                           InfoOf(parser_.precision_).name);
    }
    out_->timestamp_ns = ns;
    return Status::OK();
  }

  // The raw prefix is already canonical when it had no backslash and its tags were in order;
  // otherwise the key is rebuilt in scratch (a plain copy when nothing needs escaping).
  void BuildSeriesKey() {
    if (!prefix_escaped_ && tags_sorted_) {
      out_->series_key = std::string_view(begin_, static_cast<size_t>(prefix_end_ - begin_));
      return;
    }
    char* const key = w_;
    char* o = key;
    if (!prefix_escaped_) {
      o = CopyShort(o, out_->measurement.data(), out_->measurement.size());
      for (const Tag& tag : out_->tags) {
        *o++ = ',';
        o = CopyShort(o, tag.key.data(), tag.key.size());
        *o++ = '=';
        o = CopyShort(o, tag.value.data(), tag.value.size());
      }
    } else {
      o = AppendEscaped(o, out_->measurement, kMeasurementEscapable);
      for (const Tag& tag : out_->tags) {
        *o++ = ',';
        o = AppendEscaped(o, tag.key, kNameEscapable);
        *o++ = '=';
        o = AppendEscaped(o, tag.value, kNameEscapable);
      }
    }
    out_->series_key = std::string_view(key, static_cast<size_t>(o - key));
    w_ = o;
  }

  const char* const begin_;
  const char* const end_;
  const char* p_;                     // next byte to read
  char* w_;                           // next free byte of parser_.scratch_
  const char* prefix_end_ = nullptr;  // end of measurement and tags in the raw line
  std::string_view raw_prefix_;       // the line up to its first space (FindPrefixSlot)
  bool prefix_escaped_ = false;       // a backslash occurred in the measurement or tags
  bool tags_sorted_ = true;           // tags arrived in strictly increasing key order
  ParsedLine* const out_;
  LineParser& parser_;
};

Result<Precision> ParsePrecision(std::string_view text) {
  if (text == "ns" || text == "n") return Precision::kNanoseconds;
  if (text == "us" || text == "u") return Precision::kMicroseconds;
  if (text == "ms") return Precision::kMilliseconds;
  if (text == "s") return Precision::kSeconds;
  return Status::InvalidArgument("invalid precision " + Quoted(text) +
                                 ": expected ns, us, ms or s");
}

LineParser::LineParser(Precision precision) : precision_(precision) {}

Status LineParser::Parse(std::string_view line, ParsedLine* out) {
  out->measurement = {};
  out->tags.clear();
  out->fields.clear();
  out->timestamp_ns.reset();
  out->series_key = {};
  out->shape_id = 0;
  out->series_token = 0;
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  // Columns are kept as uint32_t; DESIGN §6.1 caps lines far below this anyway.
  if (line.size() >= std::numeric_limits<uint32_t>::max()) {
    return ColumnError(1, "line longer than 4 GiB");
  }
  // Unescaped names and strings never exceed their raw text, and the canonical series key is at
  // most twice its raw prefix, so 3x the line bounds what one call writes. Sizing up front means
  // the buffer never moves while views into it are handed out.
  const size_t need = 3 * line.size() + 1;
  if (scratch_.size() < need) scratch_.resize(need);
  return Scanner(*this, line, out).Run();
}

bool IsBlankOrComment(std::string_view line) {
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    return c == '#';
  }
  return true;
}

Status ParseSeriesKey(std::string_view series_key, std::string* measurement,
                      std::vector<std::pair<std::string, std::string>>* tags) {
  tags->clear();
  const char* const begin = series_key.data();
  const char* const end = begin + series_key.size();
  auto error = [begin](const char* at, std::string_view reason) {
    return Status::InvalidArgument("series key column " + std::to_string(at - begin + 1) + ": " +
                                   std::string(reason));
  };
  std::string unescaped(series_key.size(), '\0');
  char* w = unescaped.data();
  bool escaped = false;
  std::string_view name;
  const char* p =
      ScanName(begin, end, kMeasurementStop, kMeasurementEscapable, &w, &name, &escaped);
  if (name.empty()) return error(p, "empty measurement name");
  if (p < end && *p == ' ') return error(p, "unescaped ' ' in measurement name");
  measurement->assign(name);
  while (p < end) {
    ++p;  // ','
    const char* key_start = p;
    std::string_view key;
    p = ScanName(p, end, kNameStop, kNameEscapable, &w, &key, &escaped);
    if (key.empty()) return error(key_start, "empty tag key");
    if (p == end || *p != '=') return error(p, "expected '=' after tag key " + Quoted(key));
    ++p;
    const char* value_start = p;
    std::string_view value;
    p = ScanName(p, end, kNameStop, kNameEscapable, &w, &value, &escaped);
    if (value.empty()) return error(value_start, "empty value for tag " + Quoted(key));
    if (p < end && *p != ',') {
      return error(p, std::string("unescaped '") + *p + "' in the value of tag " + Quoted(key));
    }
    if (!tags->empty() && !(std::string_view(tags->back().first) < key)) {
      return error(key_start, "tag key " + Quoted(key) + " out of order or repeated");
    }
    tags->emplace_back(std::string(key), std::string(value));
  }
  return Status::OK();
}

std::string EscapeMeasurement(std::string_view name) {
  std::string out(2 * name.size(), '\0');
  out.resize(
      static_cast<size_t>(AppendEscaped(out.data(), name, kMeasurementEscapable) - out.data()));
  return out;
}

std::string EscapeTagPart(std::string_view name) {
  std::string out(2 * name.size(), '\0');
  out.resize(static_cast<size_t>(AppendEscaped(out.data(), name, kNameEscapable) - out.data()));
  return out;
}

}  // namespace strata::engine
