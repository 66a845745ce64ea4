#include "engine/schema.h"

#include <algorithm>
#include <mutex>

namespace strata::engine {
namespace {

std::string Key(std::string_view measurement, std::string_view field) {
  std::string key;
  key.reserve(measurement.size() + 1 + field.size());
  key.append(measurement);
  key.push_back('\0');
  key.append(field);
  return key;
}

}  // namespace

Status Schema::CheckAndRegister(std::string_view measurement, std::string_view field,
                                FieldType type) {
  std::string key = Key(measurement, field);
  FieldType existing = type;
  bool known = false;
  {
    std::shared_lock lock(mu_);
    if (auto it = types_.find(key); it != types_.end()) {
      existing = it->second;
      known = true;
    }
  }
  if (!known) {
    // Another writer may have registered the field between the two locks; emplace tells.
    std::unique_lock lock(mu_);
    existing = types_.emplace(std::move(key), type).first->second;
  }
  if (existing == type) return Status::OK();
  return Status::InvalidArgument("field '" + std::string(field) + "' of measurement '" +
                                 std::string(measurement) + "' is " +
                                 std::string(FieldTypeName(existing)) + ", not " +
                                 std::string(FieldTypeName(type)));
}

Result<FieldType> Schema::Lookup(std::string_view measurement, std::string_view field) const {
  std::shared_lock lock(mu_);
  auto it = types_.find(Key(measurement, field));
  if (it == types_.end()) {
    return Status::NotFound("measurement '" + std::string(measurement) + "' has no field '" +
                            std::string(field) + "'");
  }
  return it->second;
}

std::vector<std::pair<std::string, FieldType>> Schema::Fields(std::string_view measurement) const {
  std::vector<std::pair<std::string, FieldType>> out;
  std::string prefix = Key(measurement, "");
  std::shared_lock lock(mu_);
  for (const auto& [key, type] : types_) {
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
      out.emplace_back(key.substr(prefix.size()), type);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool SchemaMemo::Covers(const ParsedLine& line) const {
  if (line.measurement != measurement_ || line.fields.size() > fields_.size()) return false;
  if (line.shape_id != 0 && line.shape_id == shape_id_) return true;  // the same fields
  for (size_t i = 0; i < line.fields.size(); ++i) {
    if (line.fields[i].key != fields_[i].first || line.fields[i].value.type != fields_[i].second) {
      return false;
    }
  }
  return true;
}

void SchemaMemo::Remember(const ParsedLine& line) {
  shape_id_ = line.shape_id;
  measurement_.assign(line.measurement);
  fields_.resize(line.fields.size());
  for (size_t i = 0; i < line.fields.size(); ++i) {
    fields_[i].first.assign(line.fields[i].key);  // reuses the string's buffer
    fields_[i].second = line.fields[i].value.type;
  }
}

}  // namespace strata::engine
