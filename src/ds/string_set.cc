#include "ds/string_set.h"

#include <cstring>
#include <utility>

#include "common/endian.h"
#include "common/memory.h"

namespace ember {

namespace {

// Members shorter than this keep their length in one byte; the marker announces a 4-byte one.
constexpr unsigned char kLongLengthMarker = 255;
constexpr size_t kLongHeaderSize = 5;

}  // namespace

std::string_view StringSetNode::member() const {
  const unsigned char* p = header_and_bytes;
  if (p[0] != kLongLengthMarker) return {reinterpret_cast<const char*>(p + 1), p[0]};
  return {reinterpret_cast<const char*>(p + kLongHeaderSize), LoadLE32(p + 1)};
}

StringSet::~StringSet() { FreeAll(); }

StringSet::StringSet(StringSet&& o) noexcept
    : table_(std::move(o.table_)), member_bytes_(std::exchange(o.member_bytes_, 0)) {}

StringSet& StringSet::operator=(StringSet&& o) noexcept {
  if (this != &o) {
    FreeAll();
    table_ = std::move(o.table_);
    member_bytes_ = std::exchange(o.member_bytes_, 0);
  }
  return *this;
}

StringSetNode* StringSet::NewNode(std::string_view member) {
  const bool short_member = member.size() < kLongLengthMarker;
  const size_t header = short_member ? 1 : kLongHeaderSize;
  auto* n = static_cast<StringSetNode*>(MemAlloc(sizeof(StringSetNode) + header + member.size()));
  n->next = nullptr;
  unsigned char* p = n->header_and_bytes;
  if (short_member) {
    p[0] = static_cast<unsigned char>(member.size());
  } else {
    p[0] = kLongLengthMarker;
    StoreLE32(p + 1, static_cast<uint32_t>(member.size()));
  }
  if (!member.empty()) std::memcpy(p + header, member.data(), member.size());
  return n;
}

void StringSet::FreeNode(StringSetNode* n) {
  member_bytes_ -= MemUsableSize(n);
  MemFree(n);
}

void StringSet::FreeAll() {
  table_.Clear([](StringSetNode* n) { MemFree(n); });
  member_bytes_ = 0;
}

bool StringSet::Add(std::string_view member) {
  if (table_.Find(member)) return false;
  AddNew(member);
  return true;
}

void StringSet::AddNew(std::string_view member) {
  StringSetNode* n = NewNode(member);
  member_bytes_ += MemUsableSize(n);
  table_.Insert(n);
}

bool StringSet::Remove(std::string_view member) {
  StringSetNode* n = table_.Remove(member);
  if (!n) return false;
  FreeNode(n);
  table_.ShrinkIfNeeded();
  return true;
}

}  // namespace ember
