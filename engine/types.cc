#include "engine/types.h"

namespace strata::engine {

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return "float";
    case FieldType::kInt:
      return "integer";
    case FieldType::kUint:
      return "unsigned";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kString:
      return "string";
  }
  return "unknown";
}

}  // namespace strata::engine
