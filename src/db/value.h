// Value: the compact 16-byte object stored for every key, like Redis's robj encodings without the
// separate allocation. Short strings (up to 14 bytes) and integers live inline; longer strings
// are one heap block with a length header; lists, hashes, sets and sorted sets point to their
// Object (db/object.h), which the Value owns.
//
// The logical encoding (what OBJECT ENCODING reports) follows Redis's rules so tools and tests
// that look at it see what they expect: "int", "embstr" (strings up to 44 bytes created whole),
// "raw" (longer, or modified in place by APPEND/SETRANGE/SETBIT).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "db/object.h"

namespace ember {

enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4, kStream = 5 };

enum class Encoding : uint8_t { kRaw = 0, kInt = 1, kEmbStr = 2 };

const char* TypeName(ValueType t);

class Value {
 public:
  static constexpr size_t kInlineMax = 14;
  static constexpr size_t kEmbStrMax = 44;  // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT

  Value() { SetTag(ValueType::kString, Encoding::kEmbStr, Storage::kInline); }
  ~Value() { Release(); }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  Value(Value&& o) noexcept {
    std::memcpy(raw_, o.raw_, sizeof(raw_));
    o.SetTag(ValueType::kString, Encoding::kEmbStr, Storage::kInline);
    o.raw_[kLenByte] = 0;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      std::memcpy(raw_, o.raw_, sizeof(raw_));
      o.SetTag(ValueType::kString, Encoding::kEmbStr, Storage::kInline);
      o.raw_[kLenByte] = 0;
    }
    return *this;
  }

  // A string value as SET would create it: integers that round-trip become "int".
  static Value FromString(std::string_view s);
  // A string value kept as bytes even if it looks like a number ("raw" unless short).
  static Value FromBytes(std::string_view s, Encoding enc);
  static Value FromInt(int64_t v);
  // An aggregate value of type `t` owning `obj`.
  static Value FromObject(ValueType t, std::unique_ptr<Object> obj);
  // A deep copy (COPY).
  Value Clone() const;

  ValueType type() const { return static_cast<ValueType>(raw_[kTagByte] & 7); }
  Encoding encoding() const { return static_cast<Encoding>((raw_[kTagByte] >> 3) & 3); }
  const char* EncodingName() const;
  bool is_int() const { return storage() == Storage::kInt; }
  bool is_object() const { return storage() == Storage::kObject; }
  // The aggregate behind the value. REQUIRES: is_object().
  Object* object() const {
    Object* o;
    std::memcpy(&o, raw_, sizeof(o));
    return o;
  }
  // The aggregate as its concrete class. REQUIRES: is_object() and T is the type's class.
  template <typename T>
  T* As() const {
    return static_cast<T*>(object());
  }
  int64_t int_value() const {
    int64_t v;
    std::memcpy(&v, raw_, 8);
    return v;
  }

  // String contents. For the int encoding the digits are formatted into `scratch` (21 bytes).
  std::string_view GetString(char* scratch) const;
  std::string ToString() const;
  size_t StringLength() const;

  // In-place string edits (APPEND, SETRANGE, SETBIT): convert to a mutable heap buffer of at
  // least `min_len` bytes (zero padded) and return it. The encoding becomes "raw".
  char* MutableString(size_t min_len);
  // Truncates or extends (zero-filled) a mutable string.
  void Resize(size_t len);

  // Heap bytes owned beyond the 16 inline bytes (MEMORY USAGE).
  size_t HeapBytes() const;

 private:
  enum class Storage : uint8_t { kInline = 0, kInt = 1, kHeap = 2, kObject = 3 };
  static constexpr size_t kLenByte = 14;
  static constexpr size_t kTagByte = 15;

  struct HeapString {
    uint32_t len;
    uint32_t cap;
    char data[];
  };

  Storage storage() const { return static_cast<Storage>((raw_[kTagByte] >> 5) & 3); }
  void SetTag(ValueType t, Encoding e, Storage s) {
    raw_[kTagByte] = static_cast<unsigned char>(static_cast<uint8_t>(t) |
                                                (static_cast<uint8_t>(e) << 3) |
                                                (static_cast<uint8_t>(s) << 5));
  }
  HeapString* heap() const {
    HeapString* h;
    std::memcpy(&h, raw_, sizeof(h));
    return h;
  }
  void SetHeap(HeapString* h) { std::memcpy(raw_, &h, sizeof(h)); }
  static HeapString* NewHeap(size_t cap);
  void Release();

  alignas(8) unsigned char raw_[16];
};

static_assert(sizeof(Value) == 16);

}  // namespace ember
