// The RDB encodings of lists (rdb_types.h).
//
// Written: QUICKLIST_2 as Redis 7.0 writes it: the node count, then per node its container
// (1 = PLAIN, 2 = PACKED) and its bytes (the listpack, or the plain element) as a string. A node
// compressed in memory is written as its LZF data as is; Redis compresses the same bytes the same
// way, so the payload equals a DUMP from Redis with the same nodes.
//
// Read: LIST (1, one string per element, re-packed under the current limits), LIST_ZIPLIST (10,
// one ziplist, re-packed too), QUICKLIST (14, one ziplist per node, each becoming a listpack node
// as is) and QUICKLIST_2 (18). Every blob is validated entry by entry first; empty nodes are
// skipped as Redis skips them, and a list left with no element is an error.
#include <memory>
#include <string>
#include <utility>

#include "db/list_object.h"
#include "ds/listpack.h"
#include "ds/quicklist.h"
#include "ds/ziplist.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

namespace {

// A node kept compressed in memory, written without decompressing it (Redis's rdbSaveLzfBlob).
void SaveLzfBlob(RdbWriter& w, std::string_view lzf, size_t raw_size) {
  w.SaveByte((rdb::kLenEncoded << 6) | rdb::kEncLzf);
  w.SaveLen(lzf.size());
  w.SaveLen(raw_size);
  w.SaveRaw(lzf.data(), lzf.size());
}

bool FailIntegrity(RdbReader& r, const char* what) {
  return r.Fail(std::string(what) + " integrity check failed");
}

// The elements of an untrusted ziplist as a listpack (validated first).
bool ZiplistToListpack(RdbReader& r, std::string_view blob, Listpack* out) {
  if (!ziplist::ValidateIntegrity(blob)) return FailIntegrity(r, "Ziplist");
  Listpack lp;
  ziplist::ForEach(blob, [&](const PackedValue& v) {
    if (v.is_int) {
      lp.AppendInt(v.num);
    } else {
      lp.Append(v.str);
    }
  });
  *out = std::move(lp);
  return true;
}

bool LoadQuicklist(RdbReader& r, uint8_t type, Quicklist* ql) {
  uint64_t nodes;
  if (!r.ReadLen(&nodes)) return false;
  if (nodes == 0) return r.Fail("Empty list");
  while (nodes--) {
    uint64_t container = rdb::kQuicklistNodePacked;
    if (type == rdb::kTypeListQuicklist2) {
      if (!r.ReadLen(&container)) return false;
      if (container != rdb::kQuicklistNodePacked && container != rdb::kQuicklistNodePlain) {
        return FailIntegrity(r, "Quicklist");
      }
    }
    std::string blob;
    if (!r.ReadString(&blob)) return false;
    if (blob.empty()) return FailIntegrity(r, "Quicklist node");
    if (container == rdb::kQuicklistNodePlain) {
      ql->AppendPlain(blob);
      continue;
    }
    Listpack lp;
    if (type == rdb::kTypeListQuicklist2) {
      if (!Listpack::ValidateIntegrity(blob, /*deep=*/true)) return FailIntegrity(r, "Listpack");
      lp = Listpack::FromBytes(blob);
    } else if (!ZiplistToListpack(r, blob, &lp)) {
      return false;
    }
    // Redis silently skips empty nodes; an all-empty list fails below.
    if (lp.empty()) continue;
    ql->AppendListpack(std::move(lp));
  }
  return true;
}

}  // namespace

bool SaveListPayload(RdbWriter& w, const Value& list) {
  const Quicklist& ql = list.As<ListObject>()->ql();
  w.SaveLen(ql.node_count());
  ql.ForEachNode([&](const Quicklist::NodeView& node) {
    w.SaveLen(node.plain ? rdb::kQuicklistNodePlain : rdb::kQuicklistNodePacked);
    if (node.compressed) {
      SaveLzfBlob(w, node.bytes, node.raw_size);
    } else {
      w.SaveString(node.bytes);
    }
  });
  return w.ok();
}

bool LoadList(RdbReader& r, uint8_t type, Value* out) {
  auto list = std::make_unique<ListObject>();
  Quicklist& ql = list->ql();
  switch (type) {
    case rdb::kTypeList: {
      uint64_t len;
      if (!r.ReadLen(&len)) return false;
      while (len--) {
        std::string element;
        if (!r.ReadString(&element)) return false;
        ql.PushTail(element);
      }
      break;
    }
    case rdb::kTypeListZiplist: {
      std::string blob;
      if (!r.ReadString(&blob)) return false;
      Listpack lp;
      if (!ZiplistToListpack(r, blob, &lp)) return false;
      for (Listpack::Pos p = lp.First(); p != Listpack::kNoPos; p = lp.Next(p)) {
        ql.PushTail(lp.Get(p).ToString());
      }
      break;
    }
    case rdb::kTypeListQuicklist:
    case rdb::kTypeListQuicklist2:
      if (!LoadQuicklist(r, type, &ql)) return false;
      break;
    default:
      return r.Fail("Unknown RDB list encoding type " + std::to_string(type));
  }
  if (ql.empty()) return r.Fail("Empty list");
  *out = Value::FromObject(ValueType::kList, std::move(list));
  return true;
}

}  // namespace ember
