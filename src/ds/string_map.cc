#include "ds/string_map.h"

#include <cstring>
#include <new>

#include "common/memory.h"

namespace ember {

StringMap::~StringMap() {
  table_.Clear([this](StringMapEntry* e) { FreeEntry(e); });
}

StringMapEntry* StringMap::NewEntry(std::string_view field, std::string_view value) {
  auto* e = static_cast<StringMapEntry*>(
      MemAlloc(sizeof(StringMapEntry) + field.size() + value.size()));
  e->next = nullptr;
  e->field_len = static_cast<uint32_t>(field.size());
  e->value_len = static_cast<uint32_t>(value.size());
  if (!field.empty()) std::memcpy(e->data, field.data(), field.size());
  if (!value.empty()) std::memcpy(e->data + field.size(), value.data(), value.size());
  entry_bytes_ += MemUsableSize(e);
  return e;
}

void StringMap::FreeEntry(StringMapEntry* e) {
  entry_bytes_ -= MemUsableSize(e);
  MemFree(e);
}

void StringMap::InsertNew(std::string_view field, std::string_view value) {
  table_.Insert(NewEntry(field, value));
}

bool StringMap::Set(std::string_view field, std::string_view value) {
  StringMapEntry* e = table_.Find(field);
  if (!e) {
    InsertNew(field, value);
    return true;
  }
  // The value may alias the entry being replaced (a caller copying a field onto itself): memmove.
  if (sizeof(StringMapEntry) + e->field_len + value.size() <= MemUsableSize(e)) {
    if (!value.empty()) std::memmove(e->data + e->field_len, value.data(), value.size());
    e->value_len = static_cast<uint32_t>(value.size());
    return false;
  }
  StringMapEntry* replacement = NewEntry(field, value);
  table_.Remove(field);
  FreeEntry(e);
  table_.Insert(replacement);
  return false;
}

bool StringMap::Delete(std::string_view field) {
  StringMapEntry* e = table_.Remove(field);
  if (!e) return false;
  FreeEntry(e);
  return true;
}

}  // namespace ember
