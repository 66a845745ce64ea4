#pragma once

// Field types per measurement (DESIGN §1): a field keeps the type of its first write within its
// measurement; a write of another type is rejected, never coerced.
// Thread-safety: thread-safe.

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/line_protocol.h"
#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

class Schema {
 public:
  // Registers (measurement, field) as type on first use; InvalidArgument naming the field, its
  // type and the rejected type if it was registered with another type.
  Status CheckAndRegister(std::string_view measurement, std::string_view field, FieldType type);

  // The registered type, or NotFound.
  Result<FieldType> Lookup(std::string_view measurement, std::string_view field) const;

  // (field, type) pairs of a measurement, sorted by field name.
  std::vector<std::pair<std::string, FieldType>> Fields(std::string_view measurement) const;

 private:
  mutable std::shared_mutex mu_;
  // key: measurement + '\0' + field
  std::unordered_map<std::string, FieldType> types_;
};

// The measurement and field types of the last line one writer registered. A stream's lines
// mostly repeat them and a registered type never changes, so a line the memo covers needs no
// Schema lookup (a lock, a key built and hashed per field). One per writer (a connection).
// Thread-safety: not thread-safe.
class SchemaMemo {
 public:
  // True when the line's measurement is the remembered one and its i-th field has the name and
  // type of the remembered i-th field, for every i.
  bool Covers(const ParsedLine& line) const;
  // Remembers a line whose fields were all checked and registered.
  void Remember(const ParsedLine& line);

 private:
  uint64_t shape_id_ = 0;  // the remembered line's ParsedLine::shape_id
  std::string measurement_;
  std::vector<std::pair<std::string, FieldType>> fields_;
};

}  // namespace strata::engine
