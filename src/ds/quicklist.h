// Quicklist: Redis 7.0's list representation, a doubly linked list of nodes that each hold a
// listpack of elements (a PACKED node) or one element too large for a listpack on its own (a
// PLAIN node, Redis's packed_threshold: 1 GB). Pushing and popping at either end touch one
// node; indexing walks node counts, then one listpack.
//
// Node sizes follow list-max-listpack-size (`fill`): a positive fill caps the entries per node
// (and the node at 8 KB), -1..-5 cap the node at 4/8/16/32/64 KB. Nodes are split and merged
// where Redis splits and merges them (LINSERT into a full node, LSET with a large element), so
// an RDB or DUMP of the same operations has the same node boundaries, byte for byte.
//
// list-compress-depth (`compress`): the `compress` nodes at each end stay raw; nodes further in
// are kept LZF-compressed (when that saves at least 8 bytes of a node of 48 bytes or more), and
// decompressed only while an operation uses them.
//
// Memory: a node is 40 bytes (links, the listpack handle, and a pointer that is null for the
// common raw packed node); a plain or compressed node adds one header+bytes block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ds/listpack.h"

namespace ember {

class Quicklist {
 private:
  struct Node;
  struct Extra;

 public:
  enum class Direction : uint8_t { kHeadToTail, kTailToHead };
  static constexpr int kMinFill = -5;
  static constexpr int kMaxFill = 32767;
  static constexpr int kMaxCompress = 65535;

  // Elements of at least this many bytes get a PLAIN node (1 GB unless changed, for tests).
  static size_t packed_threshold();
  // Redis's quicklistisSetPackedThreshold: false (unchanged) above 4 GB - 1 MB.
  static bool SetPackedThreshold(size_t bytes);

  // `fill` and `compress` are clamped to Redis's ranges.
  Quicklist(int fill, int compress);
  ~Quicklist();
  Quicklist(Quicklist&& o) noexcept;
  Quicklist& operator=(Quicklist&& o) noexcept;
  Quicklist(const Quicklist&) = delete;
  Quicklist& operator=(const Quicklist&) = delete;
  // A deep copy with the same nodes (compressed ones stay compressed).
  Quicklist Clone() const;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return len_; }
  int fill() const { return fill_; }
  int compress() const { return compress_; }
  // Heap bytes held by the nodes (not the Quicklist itself).
  size_t MallocSize() const;

  void PushHead(std::string_view value);
  void PushTail(std::string_view value);
  // Removes the first / last element into *out. False when empty.
  bool PopHead(std::string* out);
  bool PopTail(std::string* out);

  // The element at `index` (negative: from the tail). False when out of range.
  bool Get(int64_t index, std::string* out);
  // LSET. False when out of range.
  bool Replace(int64_t index, std::string_view value);
  // Deletes `count` elements from `start` (negative: from the tail), clamped to the list, as
  // Redis's quicklistDelRange.
  void DeleteRange(int64_t start, int64_t count);

  // Walks the elements from an index in one direction; may delete the element it is on, or
  // insert next to it (after which only destruction is allowed). Compressed nodes are
  // decompressed while the iterator is on them and recompressed when it leaves.
  class Iterator {
   public:
    ~Iterator();
    Iterator(Iterator&& o) noexcept;
    Iterator(const Iterator&) = delete;
    Iterator& operator=(const Iterator&) = delete;
    Iterator& operator=(Iterator&&) = delete;

    // Moves to the next element and stores it in *value (valid until the list changes). False
    // at the end.
    bool Next(PackedValue* value);
    // Deletes the element Next() returned; the following Next() returns the one after it.
    void DeleteCurrent();
    // Inserts `value` before or after the element Next() returned.
    void InsertBefore(std::string_view value) { Insert(value, /*after=*/false); }
    void InsertAfter(std::string_view value) { Insert(value, /*after=*/true); }
    // Replaces the element Next() returned (LSET).
    void ReplaceCurrent(std::string_view value);

   private:
    friend class Quicklist;
    Iterator(Quicklist* ql, Node* node, int64_t offset, Direction dir);
    void Insert(std::string_view value, bool after);
    void LeaveNode();

    Quicklist* ql_;
    Node* current_;
    int64_t offset_;            // index in the node (negative: from its end, tail-to-head)
    Listpack::Pos pos_ = Listpack::kNoPos;
    bool positioned_ = false;   // pos_ (or the plain element) is the element last returned
    bool decompressed_ = false; // this iterator decompressed current_ and must recompress it
    Direction dir_;
  };

  // An iterator that first returns the element at `index` (negative: from the tail); one that
  // returns nothing when the index is out of range.
  Iterator IteratorAt(int64_t index, Direction dir);

  // ---- RDB ----
  // Appends a whole node (REQUIRES: a valid, non-empty listpack).
  void AppendListpack(Listpack lp);
  // Appends a PLAIN node holding `element`.
  void AppendPlain(std::string_view element);
  // One node as RDB writes it: container, whether `bytes` are LZF data (then `raw_size` is the
  // uncompressed size), the bytes (the listpack, or the plain element).
  struct NodeView {
    bool plain;
    bool compressed;
    std::string_view bytes;
    size_t raw_size;
  };
  template <typename F>
  void ForEachNode(F&& fn) const;
  // Every element head to tail, without changing the list (compressed nodes are decoded into a
  // scratch copy).
  template <typename F>
  void ForEach(F&& fn) const;

 private:
  friend class Iterator;

  static NodeView View(const Node* n);
  template <typename F>
  static void VisitNode(const Node* n, F& fn);
  static std::string DecodedBytes(const Node* n);

  // Node helpers (Redis's quicklist.c internals under our names).
  static uint32_t Count(const Node* n);
  static size_t Bytes(const Node* n);  // uncompressed size (sz)
  static bool IsPlain(const Node* n);
  static bool IsCompressed(const Node* n);
  static Node* NewPackedNode();
  static Extra* NewPlainExtra(std::string_view element);
  static Node* NewPlainNode(std::string_view element);
  static void FreeNode(Node* n);
  static bool CompressNode(Node* n);
  static void DecompressNode(Node* n);
  // Decompresses `n` if compressed; true if it did (the caller recompresses when done).
  static bool DecompressForUse(Node* n);
  bool AllowInsert(const Node* n, size_t sz) const;
  bool AllowMerge(const Node* a, const Node* b) const;
  bool ExceedsLimit(size_t new_sz, uint64_t new_count) const;

  // Re-establishes compress depth around `n` (Redis's __quicklistCompress; n may be null).
  void CompressForDepth(Node* n);
  void InsertNode(Node* old_node, Node* new_node, bool after);
  void DeleteNode(Node* n);
  // Deletes the entry at `pos` of `n` (any entry of a plain node). True if the node went away.
  bool DeleteIndex(Node* n, Listpack::Pos pos);
  void InsertPlainNode(Node* old_node, std::string_view value, bool after);
  Node* SplitNode(Node* n, int64_t offset, bool after);
  Node* MergePair(Node* a, Node* b);
  void MergeAround(Node* center);
  // Finds the node holding `index` and the offset in it, as quicklistGetIteratorAtIdx.
  bool Locate(int64_t index, Node** node, int64_t* offset) const;
  void Push(bool head, std::string_view value);
  bool Pop(bool head, std::string* out);

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  uint64_t count_ = 0;  // elements
  uint32_t len_ = 0;    // nodes
  int16_t fill_;
  uint16_t compress_;
};

// ---- Node layout (here so the templates above can walk nodes) ----

struct Quicklist::Node {
  Node* prev = nullptr;
  Node* next = nullptr;
  Listpack lp;            // a packed node's entries while uncompressed
  Extra* extra = nullptr; // a plain element or LZF data; null for an uncompressed packed node
};

// The block behind a plain or compressed node: this header, then `stored_size` bytes.
struct Quicklist::Extra {
  size_t raw_size;     // uncompressed bytes: the listpack's, or the plain element's
  size_t stored_size;  // bytes that follow (== raw_size unless compressed)
  uint32_t count;      // entries
  bool plain;
  bool compressed;

  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

template <typename F>
void Quicklist::ForEachNode(F&& fn) const {
  for (const Node* n = head_; n; n = n->next) fn(View(n));
}

template <typename F>
void Quicklist::ForEach(F&& fn) const {
  for (const Node* n = head_; n; n = n->next) VisitNode(n, fn);
}

template <typename F>
void Quicklist::VisitNode(const Node* n, F& fn) {
  if (IsPlain(n) && !IsCompressed(n)) {
    fn(PackedValue::Str({n->extra->data(), n->extra->raw_size}));
    return;
  }
  if (!n->extra) {
    for (Listpack::Pos p = n->lp.First(); p != Listpack::kNoPos; p = n->lp.Next(p)) {
      fn(n->lp.Get(p));
    }
    return;
  }
  std::string raw = DecodedBytes(n);
  if (IsPlain(n)) {
    fn(PackedValue::Str(raw));
    return;
  }
  Listpack lp = Listpack::FromBytes(raw);
  for (Listpack::Pos p = lp.First(); p != Listpack::kNoPos; p = lp.Next(p)) fn(lp.Get(p));
}

}  // namespace ember
