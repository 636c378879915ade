#include "ds/quicklist.h"

#include <lzf.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "common/memory.h"

namespace ember {

namespace {

// Node byte limits for fill -1..-5.
constexpr size_t kOptimizationLevel[] = {4096, 8192, 16384, 32768, 65536};
// A node limited by entry count is still capped at this many bytes.
constexpr size_t kSizeSafetyLimit = 8192;
// Over-estimate of an entry's encoding header + backlen when deciding whether it fits.
constexpr size_t kSizeEstimateOverhead = 8;
// Nodes smaller than this are not worth compressing; compression must save this much.
constexpr size_t kMinCompressBytes = 48;
constexpr size_t kMinCompressImprove = 8;
// Listpack header (6) + terminator (1): what merging two listpacks saves.
constexpr size_t kListpackOverhead = 7;

size_t g_packed_threshold = size_t{1} << 30;

bool IsLargeElement(size_t sz) { return sz >= g_packed_threshold; }

}  // namespace

size_t Quicklist::packed_threshold() { return g_packed_threshold; }

bool Quicklist::SetPackedThreshold(size_t bytes) {
  if (bytes > (uint64_t{1} << 32) - (1 << 20)) return false;
  g_packed_threshold = bytes;
  return true;
}

// ---- Construction ---------------------------------------------------------------------------

Quicklist::Quicklist(int fill, int compress)
    : fill_(static_cast<int16_t>(std::clamp(fill, kMinFill, kMaxFill))),
      compress_(static_cast<uint16_t>(std::clamp(compress, 0, kMaxCompress))) {}

Quicklist::~Quicklist() {
  for (Node* n = head_; n;) {
    Node* next = n->next;
    FreeNode(n);
    n = next;
  }
}

Quicklist::Quicklist(Quicklist&& o) noexcept
    : head_(std::exchange(o.head_, nullptr)),
      tail_(std::exchange(o.tail_, nullptr)),
      count_(std::exchange(o.count_, 0)),
      len_(std::exchange(o.len_, 0)),
      fill_(o.fill_),
      compress_(o.compress_) {}

Quicklist& Quicklist::operator=(Quicklist&& o) noexcept {
  if (this != &o) {
    this->~Quicklist();
    new (this) Quicklist(std::move(o));
  }
  return *this;
}

Quicklist Quicklist::Clone() const {
  Quicklist copy(fill_, compress_);
  for (const Node* n = head_; n; n = n->next) {
    Node* c = new Node;
    if (n->extra) {
      size_t block = sizeof(Extra) + n->extra->stored_size;
      c->extra = static_cast<Extra*>(MemAlloc(block));
      std::memcpy(static_cast<void*>(c->extra), n->extra, block);
    } else {
      c->lp = Listpack::FromBytes(n->lp.Bytes());
    }
    c->prev = copy.tail_;
    if (copy.tail_) {
      copy.tail_->next = c;
    } else {
      copy.head_ = c;
    }
    copy.tail_ = c;
    copy.len_++;
    copy.count_ += Count(c);
  }
  return copy;
}

size_t Quicklist::MallocSize() const {
  size_t total = 0;
  for (const Node* n = head_; n; n = n->next) {
    total += MemUsableSize(n) + n->lp.MallocSize();
    if (n->extra) total += MemUsableSize(n->extra);
  }
  return total;
}

// ---- Node helpers ----------------------------------------------------------------------------

uint32_t Quicklist::Count(const Node* n) {
  return n->extra ? n->extra->count : static_cast<uint32_t>(n->lp.size());
}

size_t Quicklist::Bytes(const Node* n) { return n->extra ? n->extra->raw_size : n->lp.ByteSize(); }

bool Quicklist::IsPlain(const Node* n) { return n->extra && n->extra->plain; }

bool Quicklist::IsCompressed(const Node* n) { return n->extra && n->extra->compressed; }

Quicklist::Node* Quicklist::NewPackedNode() { return new Node; }

Quicklist::Extra* Quicklist::NewPlainExtra(std::string_view element) {
  Extra* x = static_cast<Extra*>(MemAlloc(sizeof(Extra) + element.size()));
  x->raw_size = x->stored_size = element.size();
  x->count = 1;
  x->plain = true;
  x->compressed = false;
  std::memcpy(x->data(), element.data(), element.size());
  return x;
}

Quicklist::Node* Quicklist::NewPlainNode(std::string_view element) {
  Node* n = new Node;
  n->extra = NewPlainExtra(element);
  return n;
}

void Quicklist::FreeNode(Node* n) {
  MemFree(n->extra);
  delete n;
}

Quicklist::NodeView Quicklist::View(const Node* n) {
  if (!n->extra) return {false, false, n->lp.Bytes(), n->lp.ByteSize()};
  return {n->extra->plain, n->extra->compressed, {n->extra->data(), n->extra->stored_size},
          n->extra->raw_size};
}

std::string Quicklist::DecodedBytes(const Node* n) {
  const Extra* x = n->extra;
  if (!x->compressed) return std::string(x->data(), x->raw_size);
  std::string raw(x->raw_size, '\0');
  unsigned int got = lzf_decompress(x->data(), static_cast<unsigned int>(x->stored_size),
                                    raw.data(), static_cast<unsigned int>(raw.size()));
  assert(got == raw.size());
  (void)got;
  return raw;
}

// Redis's __quicklistCompressNode: keeps the LZF form only if it is worth it.
bool Quicklist::CompressNode(Node* n) {
  if (!n || IsCompressed(n)) return false;
  const size_t sz = Bytes(n);
  if (sz < kMinCompressBytes) return false;
  const char* src = IsPlain(n) ? n->extra->data() : n->lp.Bytes().data();
  Extra* x = static_cast<Extra*>(MemAlloc(sizeof(Extra) + sz));
  unsigned int clen = lzf_compress(src, static_cast<unsigned int>(sz), x->data(),
                                   static_cast<unsigned int>(sz));
  if (clen == 0 || clen + kMinCompressImprove >= sz) {
    MemFree(x);
    return false;
  }
  x = static_cast<Extra*>(MemRealloc(x, sizeof(Extra) + clen));
  x->raw_size = sz;
  x->stored_size = clen;
  x->count = Count(n);
  x->plain = IsPlain(n);
  x->compressed = true;
  MemFree(n->extra);
  n->lp = Listpack();
  n->extra = x;
  return true;
}

void Quicklist::DecompressNode(Node* n) {
  if (!n || !IsCompressed(n)) return;
  std::string raw = DecodedBytes(n);
  Extra* old = n->extra;
  if (old->plain) {
    n->extra = NewPlainExtra(raw);
  } else {
    n->lp = Listpack::FromBytes(raw);
    n->extra = nullptr;
  }
  MemFree(old);
}

bool Quicklist::DecompressForUse(Node* n) {
  if (!n || !IsCompressed(n)) return false;
  DecompressNode(n);
  return true;
}

bool Quicklist::ExceedsLimit(size_t new_sz, uint64_t new_count) const {
  if (fill_ < 0) {
    size_t level = std::min<size_t>(static_cast<size_t>(-fill_) - 1, 4);
    return new_sz > kOptimizationLevel[level];
  }
  if (new_sz > kSizeSafetyLimit) return true;
  const uint64_t max_count = fill_ == 0 ? 1 : static_cast<uint64_t>(fill_);
  return new_count > max_count;
}

bool Quicklist::AllowInsert(const Node* n, size_t sz) const {
  if (!n || IsPlain(n) || IsLargeElement(sz)) return false;
  return !ExceedsLimit(Bytes(n) + sz + kSizeEstimateOverhead, uint64_t{Count(n)} + 1);
}

bool Quicklist::AllowMerge(const Node* a, const Node* b) const {
  if (!a || !b || IsPlain(a) || IsPlain(b)) return false;
  return !ExceedsLimit(Bytes(a) + Bytes(b) - kListpackOverhead,
                       uint64_t{Count(a)} + Count(b));
}

// ---- Compression depth -------------------------------------------------------------------------

// The `compress_` nodes at each end are raw, everything between is compressed. Operations keep
// this incrementally: after touching `n`, the ends are decompressed, `n` is compressed unless it
// is within the depth, and the first node past the depth on each side is compressed.
void Quicklist::CompressForDepth(Node* n) {
  if (len_ == 0 || compress_ == 0 || len_ < uint32_t{compress_} * 2) return;
  Node* forward = head_;
  Node* reverse = tail_;
  bool in_depth = false;
  for (int depth = 0; depth < compress_; ++depth) {
    DecompressNode(forward);
    DecompressNode(reverse);
    if (forward == n || reverse == n) in_depth = true;
    // The two ends met: nothing is deep enough to compress.
    if (forward == reverse || forward->next == reverse) return;
    forward = forward->next;
    reverse = reverse->prev;
  }
  if (!in_depth) CompressNode(n);
  CompressNode(forward);
  CompressNode(reverse);
}

void Quicklist::InsertNode(Node* old_node, Node* new_node, bool after) {
  // Link between the two nodes it goes between (old_node is null only for an empty list).
  Node* prev = after ? old_node : (old_node ? old_node->prev : nullptr);
  Node* next = after ? (old_node ? old_node->next : nullptr) : old_node;
  new_node->prev = prev;
  new_node->next = next;
  if (prev) {
    prev->next = new_node;
  } else {
    head_ = new_node;
  }
  if (next) {
    next->prev = new_node;
  } else {
    tail_ = new_node;
  }
  len_++;
  if (old_node) CompressForDepth(old_node);
  CompressForDepth(new_node);
}

void Quicklist::DeleteNode(Node* n) {
  if (n->next) n->next->prev = n->prev;
  if (n->prev) n->prev->next = n->next;
  if (n == tail_) tail_ = n->prev;
  if (n == head_) head_ = n->next;
  len_--;
  count_ -= Count(n);
  // Nodes moved relative to the ends: re-establish the depth before freeing.
  CompressForDepth(nullptr);
  FreeNode(n);
}

bool Quicklist::DeleteIndex(Node* n, Listpack::Pos pos) {
  if (IsPlain(n)) {
    DeleteNode(n);
    return true;
  }
  n->lp.Delete(pos);
  count_--;
  if (n->lp.empty()) {
    DeleteNode(n);
    return true;
  }
  return false;
}

void Quicklist::InsertPlainNode(Node* old_node, std::string_view value, bool after) {
  InsertNode(old_node, NewPlainNode(value), after);
  count_++;
}

// ---- Ends ------------------------------------------------------------------------------------

void Quicklist::Push(bool head, std::string_view value) {
  Node* end = head ? head_ : tail_;
  if (IsLargeElement(value.size())) return InsertPlainNode(end, value, /*after=*/!head);
  Node* target = end;
  if (!AllowInsert(end, value.size())) {
    target = NewPackedNode();
    InsertNode(end, target, /*after=*/!head);
  }
  if (head) {
    target->lp.Prepend(value);
  } else {
    target->lp.Append(value);
  }
  count_++;
}

void Quicklist::PushHead(std::string_view value) { Push(true, value); }
void Quicklist::PushTail(std::string_view value) { Push(false, value); }

bool Quicklist::Pop(bool head, std::string* out) {
  if (count_ == 0) return false;
  Node* n = head ? head_ : tail_;
  // The ends are never compressed (compress depth is at least 1 when enabled).
  if (IsPlain(n)) {
    out->assign(n->extra->data(), n->extra->raw_size);
    DeleteIndex(n, Listpack::kNoPos);
    return true;
  }
  Listpack::Pos p = head ? n->lp.First() : n->lp.Last();
  *out = n->lp.Get(p).ToString();
  DeleteIndex(n, p);
  return true;
}

bool Quicklist::PopHead(std::string* out) { return Pop(true, out); }
bool Quicklist::PopTail(std::string* out) { return Pop(false, out); }

// ---- RDB -------------------------------------------------------------------------------------

void Quicklist::AppendListpack(Listpack lp) {
  Node* n = NewPackedNode();
  n->lp = std::move(lp);
  count_ += n->lp.size();
  InsertNode(tail_, n, /*after=*/true);
}

void Quicklist::AppendPlain(std::string_view element) {
  InsertPlainNode(tail_, element, /*after=*/true);
}

// ---- Positions ---------------------------------------------------------------------------------

bool Quicklist::Locate(int64_t idx, Node** node, int64_t* offset) const {
  const bool forward = idx >= 0;
  const uint64_t index = forward ? static_cast<uint64_t>(idx) : static_cast<uint64_t>(-(idx + 1));
  if (index >= count_) return false;
  // Walk from whichever end is nearer.
  bool seek_forward = forward;
  uint64_t seek_index = index;
  if (index > (count_ - 1) / 2) {
    seek_forward = !forward;
    seek_index = count_ - 1 - index;
  }
  uint64_t accum = 0;
  Node* n = seek_forward ? head_ : tail_;
  while (n && accum + Count(n) <= seek_index) {
    accum += Count(n);
    n = seek_forward ? n->next : n->prev;
  }
  if (!n) return false;
  if (seek_forward != forward) accum = count_ - Count(n) - accum;
  *node = n;
  *offset = forward ? static_cast<int64_t>(index - accum)
                    : -static_cast<int64_t>(index) - 1 + static_cast<int64_t>(accum);
  return true;
}

Quicklist::Iterator Quicklist::IteratorAt(int64_t index, Direction dir) {
  Node* n = nullptr;
  int64_t offset = 0;
  if (!Locate(index, &n, &offset)) return Iterator(this, nullptr, 0, dir);
  return Iterator(this, n, offset, dir);
}

bool Quicklist::Get(int64_t index, std::string* out) {
  Iterator it = IteratorAt(index, Direction::kTailToHead);
  PackedValue v;
  if (!it.Next(&v)) return false;
  *out = v.ToString();
  return true;
}

bool Quicklist::Replace(int64_t index, std::string_view value) {
  Iterator it = IteratorAt(index, Direction::kTailToHead);
  PackedValue v;
  if (!it.Next(&v)) return false;
  it.ReplaceCurrent(value);
  return true;
}

void Quicklist::DeleteRange(int64_t start, int64_t count) {
  if (count <= 0) return;
  uint64_t extent = static_cast<uint64_t>(count);
  if (start >= 0 && extent > count_ - std::min<uint64_t>(count_, start)) {
    extent = count_ - std::min<uint64_t>(count_, start);
  } else if (start < 0 && extent > static_cast<uint64_t>(-start)) {
    extent = static_cast<uint64_t>(-start);
  }
  Node* n = nullptr;
  int64_t offset = 0;
  if (!Locate(start, &n, &offset)) return;
  while (extent && n) {
    Node* next = n->next;
    const uint64_t node_count = Count(n);
    uint64_t del;
    bool whole = false;
    if (offset == 0 && extent >= node_count) {
      whole = true;
      del = node_count;
    } else if (offset >= 0 && extent + offset >= node_count) {
      del = node_count - offset;
    } else if (offset < 0) {
      // First node of a range given from the tail: everything from offset to its end.
      del = std::min<uint64_t>(static_cast<uint64_t>(-offset), extent);
    } else {
      del = extent;
    }
    if (whole || IsPlain(n)) {
      DeleteNode(n);
    } else {
      const bool recompress = DecompressForUse(n);
      n->lp.Delete(n->lp.Seek(offset), static_cast<uint32_t>(del));
      count_ -= del;
      if (n->lp.empty()) {
        DeleteNode(n);
      } else if (recompress) {
        CompressNode(n);
      }
    }
    extent -= del;
    n = next;
    offset = 0;
  }
}

// ---- Split and merge -------------------------------------------------------------------------

// Redis's _quicklistSplitNode. With `after`, `n` keeps [0, offset] and the returned node gets
// the rest; otherwise the returned node gets [0, offset) and `n` keeps the rest. The new node is
// not linked. REQUIRES: n is packed and uncompressed.
Quicklist::Node* Quicklist::SplitNode(Node* n, int64_t offset, bool after) {
  const int64_t count = static_cast<int64_t>(n->lp.size());
  if (offset < 0) offset += count;
  Node* split = NewPackedNode();
  split->lp = Listpack::FromBytes(n->lp.Bytes());
  if (after) {
    if (offset + 1 < count) n->lp.Delete(n->lp.Seek(offset + 1), static_cast<uint32_t>(count));
    if (offset + 1 > 0) split->lp.Delete(split->lp.First(), static_cast<uint32_t>(offset + 1));
  } else {
    if (offset > 0) n->lp.Delete(n->lp.First(), static_cast<uint32_t>(offset));
    if (offset < count) split->lp.Delete(split->lp.Seek(offset), static_cast<uint32_t>(count));
  }
  return split;
}

// Merges b's entries into a (a is left of b) and drops b. Returns the merged node.
Quicklist::Node* Quicklist::MergePair(Node* a, Node* b) {
  DecompressNode(a);
  DecompressNode(b);
  std::string_view ab = a->lp.Bytes();
  std::string_view bb = b->lp.Bytes();
  const size_t count = a->lp.size() + b->lp.size();
  std::string merged;
  merged.reserve(ab.size() + bb.size() - kListpackOverhead);
  merged.append(ab.substr(0, ab.size() - 1));
  merged.append(bb.substr(Listpack::kHeaderSize));
  const uint32_t total = static_cast<uint32_t>(merged.size());
  const uint16_t header_count =
      static_cast<uint16_t>(std::min<size_t>(count, Listpack::kUnknownCount));
  for (int i = 0; i < 4; ++i) merged[i] = static_cast<char>(total >> (8 * i));
  merged[4] = static_cast<char>(header_count & 0xFF);
  merged[5] = static_cast<char>(header_count >> 8);
  a->lp = Listpack::FromBytes(merged);
  // b's entries now live in a: b leaves without taking them off the element count.
  b->lp = Listpack();
  DeleteNode(b);
  CompressForDepth(a);
  return a;
}

// Redis's _quicklistMergeNodes: after a split, try to merge the neighbours pairwise.
void Quicklist::MergeAround(Node* center) {
  Node* prev = center->prev;
  Node* prev_prev = prev ? prev->prev : nullptr;
  Node* next = center->next;
  Node* next_next = next ? next->next : nullptr;
  if (AllowMerge(prev, prev_prev)) MergePair(prev_prev, prev);
  if (AllowMerge(next, next_next)) MergePair(next, next_next);
  Node* target = center;
  if (AllowMerge(center, center->prev)) target = MergePair(center->prev, center);
  if (AllowMerge(target, target->next)) MergePair(target, target->next);
}

// ---- Iterator ----------------------------------------------------------------------------------

Quicklist::Iterator::Iterator(Quicklist* ql, Node* node, int64_t offset, Direction dir)
    : ql_(ql), current_(node), offset_(offset), dir_(dir) {}

Quicklist::Iterator::Iterator(Iterator&& o) noexcept
    : ql_(o.ql_),
      current_(std::exchange(o.current_, nullptr)),
      offset_(o.offset_),
      pos_(o.pos_),
      positioned_(o.positioned_),
      decompressed_(std::exchange(o.decompressed_, false)),
      dir_(o.dir_) {}

Quicklist::Iterator::~Iterator() { LeaveNode(); }

// Restores the compression of the node the iterator leaves.
void Quicklist::Iterator::LeaveNode() {
  if (!current_) return;
  if (decompressed_) {
    CompressNode(current_);
  } else {
    ql_->CompressForDepth(current_);
  }
  decompressed_ = false;
}

bool Quicklist::Iterator::Next(PackedValue* value) {
  const bool forward = dir_ == Direction::kHeadToTail;
  while (current_) {
    const bool plain = IsPlain(current_);
    if (!positioned_) {
      if (DecompressForUse(current_)) decompressed_ = true;
      pos_ = plain ? Listpack::kNoPos : current_->lp.Seek(offset_);
      positioned_ = plain || pos_ != Listpack::kNoPos;
    } else if (plain) {
      positioned_ = false;
    } else {
      pos_ = forward ? current_->lp.Next(pos_) : current_->lp.Prev(pos_);
      offset_ += forward ? 1 : -1;
      positioned_ = pos_ != Listpack::kNoPos;
    }
    if (positioned_) {
      *value = plain ? PackedValue::Str({current_->extra->data(), current_->extra->raw_size})
                     : current_->lp.Get(pos_);
      return true;
    }
    // This node is done: move to the next one.
    LeaveNode();
    current_ = forward ? current_->next : current_->prev;
    offset_ = forward ? 0 : -1;
  }
  return false;
}

void Quicklist::Iterator::DeleteCurrent() {
  assert(positioned_);
  Node* prev = current_->prev;
  Node* next = current_->next;
  const bool node_gone = ql_->DeleteIndex(current_, pos_);
  positioned_ = false;
  if (node_gone) {
    decompressed_ = false;
    const bool forward = dir_ == Direction::kHeadToTail;
    current_ = forward ? next : prev;
    offset_ = forward ? 0 : -1;
  }
  // Otherwise the offset already names the element after the deleted one.
}

// Redis's _quicklistInsert: into this node if it has room; at a node's edge, into the
// neighbour if that has room, or a new node; otherwise split this node and merge around it.
void Quicklist::Iterator::Insert(std::string_view value, bool after) {
  assert(positioned_);
  Quicklist& ql = *ql_;
  Node* node = current_;
  const size_t sz = value.size();
  const int64_t count = Count(node);
  const bool full = !ql.AllowInsert(node, sz);
  bool at_tail = false, at_head = false, avail_next = false, avail_prev = false;
  if (after && (offset_ == count - 1 || offset_ == -1)) {
    at_tail = true;
    avail_next = ql.AllowInsert(node->next, sz);
  }
  if (!after && (offset_ == 0 || offset_ == -count)) {
    at_head = true;
    avail_prev = ql.AllowInsert(node->prev, sz);
  }
  positioned_ = false;

  if (IsLargeElement(sz)) {
    if (IsPlain(node) || at_tail || at_head) {
      ql.InsertPlainNode(node, value, after);
    } else {
      Node* split = ql.SplitNode(node, offset_, after);
      Node* plain = NewPlainNode(value);
      ql.InsertNode(node, plain, after);
      ql.InsertNode(plain, split, after);
      ql.count_++;
    }
    return;
  }

  if (!full) {
    if (after) {
      node->lp.InsertAfter(pos_, value);
    } else {
      node->lp.InsertBefore(pos_, value);
    }
  } else if (at_tail && avail_next) {
    Node* target = node->next;
    const bool recompress = DecompressForUse(target);
    target->lp.Prepend(value);
    if (recompress) CompressNode(target);
  } else if (at_head && avail_prev) {
    Node* target = node->prev;
    const bool recompress = DecompressForUse(target);
    target->lp.Append(value);
    if (recompress) CompressNode(target);
  } else if (at_tail || at_head) {
    Node* fresh = NewPackedNode();
    fresh->lp.Prepend(value);
    ql.InsertNode(node, fresh, after);
  } else {
    Node* split = ql.SplitNode(node, offset_, after);
    if (after) {
      split->lp.Prepend(value);
    } else {
      split->lp.Append(value);
    }
    ql.InsertNode(node, split, after);
    ql.MergeAround(node);
    // The merge may have freed `node`: the iterator must not touch it again.
    current_ = nullptr;
    decompressed_ = false;
  }
  ql.count_++;
}

// Redis 7.0's quicklistReplaceEntry.
void Quicklist::Iterator::ReplaceCurrent(std::string_view value) {
  assert(positioned_);
  Quicklist& ql = *ql_;
  Node* node = current_;
  const bool large = IsLargeElement(value.size());
  if (!IsPlain(node) && !large) {
    node->lp.Replace(pos_, value);
    return;  // the iterator recompresses the node when it is destroyed
  }
  if (IsPlain(node) && large) {
    MemFree(std::exchange(node->extra, NewPlainExtra(value)));
    return;
  }
  // A plain element replaced by a small one, or a packed element by a large one: insert the new
  // element after the old one (Insert() keeps `node` and leaves the old element last in it),
  // then delete the old one.
  const bool plain = IsPlain(node);
  Insert(value, /*after=*/true);
  if (plain || Count(node) == 1) {
    ql.DeleteNode(node);
  } else {
    // Linking the new nodes may have compressed `node` again.
    DecompressNode(node);
    ql.DeleteIndex(node, node->lp.Last());
    ql.CompressForDepth(node);
    ql.CompressForDepth(node->next);
  }
  current_ = nullptr;
  decompressed_ = false;
}

}  // namespace ember
