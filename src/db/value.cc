#include "db/value.h"

#include <algorithm>
#include <cassert>

#include "common/memory.h"
#include "common/strings.h"

namespace ember {

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kList: return "list";
    case ValueType::kSet: return "set";
    case ValueType::kZSet: return "zset";
    case ValueType::kHash: return "hash";
    case ValueType::kStream: return "stream";
  }
  return "none";
}

const char* ObjectEncodingName(ObjectEncoding e) {
  switch (e) {
    case ObjectEncoding::kListpack: return "listpack";
    case ObjectEncoding::kQuicklist: return "quicklist";
    case ObjectEncoding::kIntset: return "intset";
    case ObjectEncoding::kHashtable: return "hashtable";
    case ObjectEncoding::kSkiplist: return "skiplist";
  }
  return "unknown";
}

const char* Value::EncodingName() const {
  if (is_object()) return ObjectEncodingName(object()->encoding());
  switch (encoding()) {
    case Encoding::kInt: return "int";
    case Encoding::kEmbStr: return "embstr";
    case Encoding::kRaw: return "raw";
  }
  return "raw";
}

Value::HeapString* Value::NewHeap(size_t cap) {
  auto* h = static_cast<HeapString*>(MemAlloc(sizeof(HeapString) + cap));
  // Use the allocator's slack so small appends do not reallocate.
  size_t usable = MemUsableSize(h) - sizeof(HeapString);
  h->cap = static_cast<uint32_t>(std::min<size_t>(usable, UINT32_MAX));
  h->len = 0;
  return h;
}

void Value::Release() {
  if (storage() == Storage::kHeap) MemFree(heap());
  if (storage() == Storage::kObject) delete object();
}

Value Value::FromObject(ValueType t, std::unique_ptr<Object> obj) {
  Value val;
  Object* o = obj.release();
  std::memcpy(val.raw_, &o, sizeof(o));
  val.SetTag(t, Encoding::kRaw, Storage::kObject);
  return val;
}

Value Value::Clone() const {
  switch (storage()) {
    case Storage::kInt: return FromInt(int_value());
    case Storage::kObject: return FromObject(type(), object()->Clone());
    default: {
      char scratch[21];
      return FromBytes(GetString(scratch), encoding());
    }
  }
}

Value Value::FromInt(int64_t v) {
  Value val;
  std::memcpy(val.raw_, &v, 8);
  val.SetTag(ValueType::kString, Encoding::kInt, Storage::kInt);
  return val;
}

Value Value::FromString(std::string_view s) {
  int64_t v;
  if (s.size() <= 20 && ParseInt64(s, &v)) return FromInt(v);
  return FromBytes(s, s.size() <= kEmbStrMax ? Encoding::kEmbStr : Encoding::kRaw);
}

Value Value::FromBytes(std::string_view s, Encoding enc) {
  Value val;
  if (s.size() <= kInlineMax) {
    std::memcpy(val.raw_, s.data(), s.size());
    val.raw_[kLenByte] = static_cast<unsigned char>(s.size());
    val.SetTag(ValueType::kString, enc, Storage::kInline);
  } else {
    HeapString* h = NewHeap(s.size());
    std::memcpy(h->data, s.data(), s.size());
    h->len = static_cast<uint32_t>(s.size());
    val.SetHeap(h);
    val.SetTag(ValueType::kString, enc, Storage::kHeap);
  }
  return val;
}

std::string_view Value::GetString(char* scratch) const {
  switch (storage()) {
    case Storage::kInline:
      return {reinterpret_cast<const char*>(raw_), raw_[kLenByte]};
    case Storage::kInt:
      return {scratch, FormatInt64(int_value(), scratch)};
    case Storage::kHeap: {
      HeapString* h = heap();
      return {h->data, h->len};
    }
    case Storage::kObject: break;  // not a string
  }
  return {};
}

std::string Value::ToString() const {
  char scratch[21];
  return std::string(GetString(scratch));
}

size_t Value::StringLength() const {
  switch (storage()) {
    case Storage::kInline: return raw_[kLenByte];
    case Storage::kInt: {
      char scratch[21];
      return FormatInt64(int_value(), scratch);
    }
    case Storage::kHeap: return heap()->len;
    case Storage::kObject: break;  // not a string
  }
  return 0;
}

char* Value::MutableString(size_t min_len) {
  size_t cur_len = StringLength();
  size_t want = std::max(cur_len, min_len);
  if (storage() == Storage::kHeap && heap()->cap >= want) {
    HeapString* h = heap();
    if (want > h->len) {
      std::memset(h->data + h->len, 0, want - h->len);
      h->len = static_cast<uint32_t>(want);
    }
    SetTag(ValueType::kString, Encoding::kRaw, Storage::kHeap);
    return h->data;
  }
  // Grow geometrically like sds so repeated APPENDs are amortized O(1).
  size_t cap = want < 1024 * 1024 ? want * 2 : want + 1024 * 1024;
  HeapString* h = NewHeap(std::max<size_t>(cap, 16));
  char scratch[21];
  std::string_view cur = GetString(scratch);
  std::memcpy(h->data, cur.data(), cur.size());
  std::memset(h->data + cur.size(), 0, want - cur.size());
  h->len = static_cast<uint32_t>(want);
  Release();
  SetHeap(h);
  SetTag(ValueType::kString, Encoding::kRaw, Storage::kHeap);
  return h->data;
}

void Value::Resize(size_t len) {
  MutableString(len);
  heap()->len = static_cast<uint32_t>(len);
}

size_t Value::HeapBytes() const {
  if (storage() == Storage::kObject) return object()->MallocSize();
  return storage() == Storage::kHeap ? MemUsableSize(heap()) : 0;
}

}  // namespace ember
