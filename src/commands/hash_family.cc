// Hash commands: writes (HSET, HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT), reads (HGET, HMGET,
// HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL), HRANDFIELD and HSCAN. Redis keeps these in
// t_hash.c. The value is a HashObject (db/hash_object.h), which switches from the listpack to the
// hashtable encoding at the hash-max-listpack-* limits.
//
// Propagation follows Redis 7.0: every command goes as received except HINCRBYFLOAT, which is
// sent as `HSET key field <result>` so replicas never redo floating point arithmetic.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/scan_options.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/hash_object.h"
#include "db/value.h"

namespace ember {

namespace {

using std::string_view;

// Error texts only this family sends, word for word as Redis 7.0.
constexpr string_view kErrHashNotInteger = "ERR hash value is not an integer";
constexpr string_view kErrHashNotFloat = "ERR hash value is not a float";
constexpr string_view kErrIncrNanOrInf = "ERR value is NaN or Infinity";
constexpr string_view kErrResultNanOrInf = "ERR increment would produce NaN or Infinity";
constexpr string_view kErrCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr string_view kErrValueRange = "ERR value is out of range";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

void ReplyPacked(ReplyBuilder& r, const PackedValue& v) {
  char scratch[21];
  r.Bulk(PackedBytes(v, scratch));
}

// The hash at `key` for a read. Null when the key is missing, or after replying WRONGTYPE (then
// *wrong_type is set).
HashObject* LookupHashRead(CommandContext& ctx, string_view key, bool* wrong_type) {
  *wrong_type = false;
  KeyEntry* e = ctx.LookupRead(key);
  if (!e) return nullptr;
  if (e->value.type() != ValueType::kHash) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    *wrong_type = true;
    return nullptr;
  }
  return e->value.As<HashObject>();
}

// The same for a write (expired keys are removed, hits and misses are not counted): the key's
// Value, which the Hash* mutators take (they may replace its object).
Value* LookupHashWrite(CommandContext& ctx, string_view key, bool* wrong_type) {
  *wrong_type = false;
  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) return nullptr;
  if (e->value.type() != ValueType::kHash) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    *wrong_type = true;
    return nullptr;
  }
  return &e->value;
}

// Adds an empty hash at `key`, which a LookupHashWrite just reported missing.
Value* CreateHash(CommandContext& ctx, string_view key) {
  return &ctx.AddNewKey(key, NewHashValue())->value;
}

// Redis's hashTypeLookupWriteOrCreate: the hash at `key`, created empty if missing; null after
// replying WRONGTYPE. The caller must add a field to a hash it created.
Value* LookupHashOrCreate(CommandContext& ctx, string_view key) {
  bool wrong_type;
  Value* hash = LookupHashWrite(ctx, key, &wrong_type);
  if (wrong_type) return nullptr;
  return hash ? hash : CreateHash(ctx, key);
}

// ---------------------------------------------------------------------------------------------
// HSET, HMSET, HSETNX, HDEL
// ---------------------------------------------------------------------------------------------

// HSET replies with the number of new fields, HMSET with OK.
void SetGeneric(CommandContext& ctx, bool reply_count) {
  if (ctx.argc() % 2 != 0) return ctx.ReplyWrongArity();
  Value* hash = LookupHashOrCreate(ctx, ctx.arg(1));
  if (!hash) return;
  HashConvertIfArgsTooLong(*hash, ctx.args().subspan(2));
  int64_t created = 0;
  for (size_t j = 2; j < ctx.argc(); j += 2) created += HashSet(*hash, ctx.arg(j), ctx.arg(j + 1));
  ctx.MarkDirty((ctx.argc() - 2) / 2);
  ctx.Notify(notify::kHash, "hset", ctx.arg(1));
  if (reply_count) {
    ctx.reply().Integer(created);
  } else {
    ctx.reply().Ok();
  }
}

void CmdHSet(CommandContext& ctx) { SetGeneric(ctx, true); }
void CmdHMSet(CommandContext& ctx) { SetGeneric(ctx, false); }

void CmdHSetNx(CommandContext& ctx) {
  Value* hash = LookupHashOrCreate(ctx, ctx.arg(1));
  if (!hash) return;
  if (hash->As<HashObject>()->Contains(ctx.arg(2))) return ctx.reply().Integer(0);
  HashConvertIfArgsTooLong(*hash, ctx.args().subspan(2, 2));
  HashSet(*hash, ctx.arg(2), ctx.arg(3));
  ctx.MarkDirty();
  ctx.Notify(notify::kHash, "hset", ctx.arg(1));
  ctx.reply().Integer(1);
}

void CmdHDel(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  bool wrong_type;
  Value* hash = LookupHashWrite(ctx, key, &wrong_type);
  if (wrong_type) return;
  int64_t deleted = 0;
  bool key_removed = false;
  if (hash) {
    for (size_t j = 2; j < ctx.argc(); ++j) {
      if (!HashDelete(*hash, ctx.arg(j))) continue;
      ++deleted;
      if (hash->object()->size() == 0) {
        ctx.db().Delete(key);
        key_removed = true;
        break;
      }
    }
  }
  if (deleted) {
    ctx.MarkDirty(static_cast<uint64_t>(deleted));
    ctx.Notify(notify::kHash, "hdel", key);
    if (key_removed) ctx.Notify(notify::kGeneric, "del", key);
  }
  ctx.reply().Integer(deleted);
}

// ---------------------------------------------------------------------------------------------
// HGET, HMGET, HLEN, HSTRLEN, HEXISTS
// ---------------------------------------------------------------------------------------------

void CmdHGet(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  std::optional<PackedValue> v = hash ? hash->Get(ctx.arg(2)) : std::nullopt;
  if (!v) return ctx.reply().Null();
  ReplyPacked(ctx.reply(), *v);
}

void CmdHMGet(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply().ArrayLen(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    std::optional<PackedValue> v = hash ? hash->Get(ctx.arg(j)) : std::nullopt;
    if (v) {
      ReplyPacked(ctx.reply(), *v);
    } else {
      ctx.reply().Null();
    }
  }
}

void CmdHLen(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply().Integer(hash ? static_cast<int64_t>(hash->size()) : 0);
}

void CmdHStrLen(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  std::optional<PackedValue> v = hash ? hash->Get(ctx.arg(2)) : std::nullopt;
  char scratch[21];
  ctx.reply().Integer(v ? static_cast<int64_t>(PackedBytes(*v, scratch).size()) : 0);
}

void CmdHExists(CommandContext& ctx) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ctx.reply().Integer(hash && hash->Contains(ctx.arg(2)) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// HKEYS, HVALS, HGETALL
// ---------------------------------------------------------------------------------------------

enum class Part { kFields, kValues, kBoth };

// Redis's genericHgetallCommand: fields and values together are a map (a flat array in RESP2).
void GetAllGeneric(CommandContext& ctx, Part part) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ReplyBuilder& r = ctx.reply();
  const size_t n = hash ? hash->size() : 0;
  if (part == Part::kBoth) {
    r.MapLen(n);
  } else {
    r.ArrayLen(n);
  }
  if (!hash) return;
  hash->ForEach([&](const PackedValue& field, const PackedValue& value) {
    if (part != Part::kValues) ReplyPacked(r, field);
    if (part != Part::kFields) ReplyPacked(r, value);
  });
}

void CmdHKeys(CommandContext& ctx) { GetAllGeneric(ctx, Part::kFields); }
void CmdHVals(CommandContext& ctx) { GetAllGeneric(ctx, Part::kValues); }
void CmdHGetAll(CommandContext& ctx) { GetAllGeneric(ctx, Part::kBoth); }

// ---------------------------------------------------------------------------------------------
// HINCRBY, HINCRBYFLOAT
// ---------------------------------------------------------------------------------------------

void CmdHIncrBy(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(3), &incr)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  string_view key = ctx.arg(1), field = ctx.arg(2);
  bool wrong_type;
  Value* hash = LookupHashWrite(ctx, key, &wrong_type);
  if (wrong_type) return;

  int64_t value = 0;
  if (std::optional<PackedValue> old = hash ? hash->As<HashObject>()->Get(field) : std::nullopt) {
    if (old->is_int) {
      value = old->num;
    } else if (!ParseInt64(old->str, &value)) {
      return ctx.reply().Error(kErrHashNotInteger);
    }
  }
  int64_t result;
  if (__builtin_add_overflow(value, incr, &result)) return ctx.ReplyStatus(OpStatus::kOverflow);
  if (!hash) hash = CreateHash(ctx, key);
  char digits[21];
  HashSet(*hash, field, string_view(digits, FormatInt64(result, digits)));
  ctx.MarkDirty();
  ctx.Notify(notify::kHash, "hincrby", key);
  ctx.reply().Integer(result);
}

void CmdHIncrByFloat(CommandContext& ctx) {
  long double incr;
  if (!ParseLongDouble(ctx.arg(3), &incr)) return ctx.ReplyStatus(OpStatus::kNotAFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.reply().Error(kErrIncrNanOrInf);
  string_view key = ctx.arg(1), field = ctx.arg(2);
  bool wrong_type;
  Value* hash = LookupHashWrite(ctx, key, &wrong_type);
  if (wrong_type) return;

  long double value = 0;
  if (std::optional<PackedValue> old = hash ? hash->As<HashObject>()->Get(field) : std::nullopt) {
    if (old->is_int) {
      value = static_cast<long double>(old->num);
    } else if (!ParseLongDouble(old->str, &value)) {
      return ctx.reply().Error(kErrHashNotFloat);
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.reply().Error(kErrResultNanOrInf);

  std::string text = LongDoubleToHumanString(value);
  if (!hash) hash = CreateHash(ctx, key);
  HashSet(*hash, field, text);
  ctx.MarkDirty();
  ctx.Notify(notify::kHash, "hincrbyfloat", key);
  ctx.reply().Bulk(text);
  ctx.Propagate({"HSET", std::string(key), std::string(field), std::move(text)});
}

// ---------------------------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------------------------

// One field (and its value) of an HRANDFIELD reply with a count: WITHVALUES pairs are nested
// arrays in RESP3 and flat in RESP2, as Redis sends them.
void ReplyRandomPair(ReplyBuilder& r, const PackedValue& field, const PackedValue& value,
                     bool with_values) {
  if (with_values && r.resp3()) r.ArrayLen(2);
  ReplyPacked(r, field);
  if (with_values) ReplyPacked(r, value);
}

// Redis's hrandfieldWithCountCommand. A negative count may repeat fields; a positive one returns
// distinct fields, the whole hash when the count reaches its size.
void RandomFieldsWithCount(CommandContext& ctx, int64_t count_arg, bool with_values) {
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ReplyBuilder& r = ctx.reply();
  if (!hash || count_arg == 0) return r.EmptyArray();

  const bool distinct = count_arg > 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(count_arg)
                                  : static_cast<uint64_t>(-count_arg);
  const size_t size = hash->size();
  const uint64_t reply_count = distinct ? std::min<uint64_t>(count, size) : count;
  r.ArrayLen(with_values && !r.resp3() ? reply_count * 2 : reply_count);
  auto& rng = ctx.keyspace().rng();

  if (!distinct || count == 1) {
    for (uint64_t i = 0; i < count; ++i) {
      auto [field, value] = hash->RandomPair(rng);
      ReplyRandomPair(r, field, value, with_values);
    }
    return;
  }
  if (count >= size) {
    hash->ForEach([&](const PackedValue& field, const PackedValue& value) {
      ReplyRandomPair(r, field, value, with_values);
    });
    return;
  }
  if (hash->is_listpack()) {
    // Selection sampling: each pair is taken with probability (still needed / still unseen), so
    // exactly `count` distinct pairs come out, in listpack order, as Redis's lpRandomPairsUnique.
    uint64_t needed = count, unseen = size;
    hash->ForEach([&](const PackedValue& field, const PackedValue& value) {
      if (needed > 0 && rng() % unseen < needed) {
        ReplyRandomPair(r, field, value, with_values);
        --needed;
      }
      --unseen;
    });
    return;
  }
  StringMap& map = hash->map();
  if (count * 3 > size) {
    // Most of the hash is wanted: pick from a copy of the entry list without repeats.
    std::vector<const StringMapEntry*> entries;
    entries.reserve(size);
    map.ForEach([&](const StringMapEntry* e) { entries.push_back(e); });
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(entries[i], entries[i + rng() % (size - i)]);
      ReplyRandomPair(r, PackedValue::Str(entries[i]->field()),
                      PackedValue::Str(entries[i]->value()), with_values);
    }
    return;
  }
  // A small part of a large hash: sample until enough distinct entries came up.
  std::unordered_set<const StringMapEntry*> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    const StringMapEntry* e = map.Random(rng);
    if (!picked.insert(e).second) continue;
    ReplyRandomPair(r, PackedValue::Str(e->field()), PackedValue::Str(e->value()), with_values);
  }
}

void CmdHRandField(CommandContext& ctx) {
  if (ctx.argc() >= 3) {
    int64_t count;
    if (!ParseInt64(ctx.arg(2), &count)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
    if (count == INT64_MIN) return ctx.reply().Error(kErrCountRange);
    bool with_values = false;
    if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
      return ctx.ReplySyntaxError();
    }
    if (ctx.argc() == 4) {
      with_values = true;
      // The reply has twice as many elements: Redis keeps the count within half the range.
      if (count < -(INT64_MAX / 2) || count > INT64_MAX / 2) {
        return ctx.reply().Error(kErrValueRange);
      }
    }
    return RandomFieldsWithCount(ctx, count, with_values);
  }
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  if (!hash) return ctx.reply().Null();
  ReplyPacked(ctx.reply(), hash->RandomPair(ctx.keyspace().rng()).first);
}

// ---------------------------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------------------------

// Redis's hscanCommand + scanGenericCommand. A listpack hash is returned whole with cursor 0; a
// hashtable is walked bucket by bucket until about COUNT items (fields and values both count)
// were gathered or COUNT*10 buckets were visited. MATCH filters on the field.
void CmdHScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) return ctx.reply().Error(errors::kInvalidCursor);
  bool wrong_type;
  HashObject* hash = LookupHashRead(ctx, ctx.arg(1), &wrong_type);
  if (wrong_type) return;
  ReplyBuilder& r = ctx.reply();
  if (!hash) {
    r.ArrayLen(2);
    r.Bulk("0");
    r.EmptyArray();
    return;
  }

  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &opts)) return;

  // Field, value, field, value... The listpack's integers are formatted, so the items are copies.
  std::vector<std::string> items;
  auto gather = [&](const PackedValue& field, const PackedValue& value) {
    char scratch[21];
    string_view f = PackedBytes(field, scratch);
    if (!opts.Matches(f)) return;
    items.emplace_back(f);
    items.emplace_back(PackedBytes(value, scratch));
  };
  if (hash->is_listpack()) {
    hash->ForEach(gather);
    cursor = 0;
  } else {
    int64_t max_iterations = opts.max_iterations();
    size_t visited = 0;  // items before filtering, which is what COUNT bounds
    do {
      cursor = hash->map().Scan(cursor, [&](const StringMapEntry* e) {
        ++visited;
        gather(PackedValue::Str(e->field()), PackedValue::Str(e->value()));
      });
    } while (cursor && max_iterations-- && visited * 2 < static_cast<uint64_t>(opts.count));
  }

  r.ArrayLen(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayLen(items.size());
  for (const std::string& item : items) r.Bulk(item);
}

}  // namespace

void RegisterHashFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kHash = acl_cat::kHash;
  constexpr KeyRange kKey{1, 1, 1};
  table.Add(MakeCommand("hset", -4, kWrite | kDenyOom | kFast, kKey, CmdHSet, "hash", kHash,
                        "Creates or modifies the value of fields in a hash.", "2.0.0"));
  table.Add(MakeCommand("hmset", -4, kWrite | kDenyOom | kFast, kKey, CmdHMSet, "hash", kHash,
                        "Sets the values of multiple fields (old form of HSET).", "2.0.0"));
  table.Add(MakeCommand("hsetnx", 4, kWrite | kDenyOom | kFast, kKey, CmdHSetNx, "hash", kHash,
                        "Sets the value of a field in a hash only when the field does not exist.",
                        "2.0.0"));
  table.Add(MakeCommand("hdel", -3, kWrite | kFast, kKey, CmdHDel, "hash", kHash,
                        "Deletes fields from a hash; an emptied hash is deleted.", "2.0.0"));
  table.Add(MakeCommand("hget", 3, kReadOnly | kFast, kKey, CmdHGet, "hash", kHash,
                        "Returns the value of a field in a hash.", "2.0.0"));
  table.Add(MakeCommand("hmget", -3, kReadOnly | kFast, kKey, CmdHMGet, "hash", kHash,
                        "Returns the values of several fields in a hash.", "2.0.0"));
  table.Add(MakeCommand("hlen", 2, kReadOnly | kFast, kKey, CmdHLen, "hash", kHash,
                        "Returns the number of fields in a hash.", "2.0.0"));
  table.Add(MakeCommand("hstrlen", 3, kReadOnly | kFast, kKey, CmdHStrLen, "hash", kHash,
                        "Returns the length of the value of a field in a hash.", "3.2.0"));
  table.Add(MakeCommand("hexists", 3, kReadOnly | kFast, kKey, CmdHExists, "hash", kHash,
                        "Tells whether a field exists in a hash.", "2.0.0"));
  table.Add(MakeCommand("hkeys", 2, kReadOnly, kKey, CmdHKeys, "hash", kHash,
                        "Returns every field of a hash.", "2.0.0"));
  table.Add(MakeCommand("hvals", 2, kReadOnly, kKey, CmdHVals, "hash", kHash,
                        "Returns every value of a hash.", "2.0.0"));
  table.Add(MakeCommand("hgetall", 2, kReadOnly, kKey, CmdHGetAll, "hash", kHash,
                        "Returns every field and value of a hash.", "2.0.0"));
  table.Add(MakeCommand("hincrby", 4, kWrite | kDenyOom | kFast, kKey, CmdHIncrBy, "hash", kHash,
                        "Adds an integer to the integer value of a field in a hash.", "2.0.0"));
  table.Add(MakeCommand("hincrbyfloat", 4, kWrite | kDenyOom | kFast, kKey, CmdHIncrByFloat,
                        "hash", kHash,
                        "Adds a floating point number to the value of a field in a hash.",
                        "2.6.0"));
  table.Add(MakeCommand("hrandfield", -2, kReadOnly, kKey, CmdHRandField, "hash", kHash,
                        "Returns random fields (and values) of a hash.", "6.2.0"));
  table.Add(MakeCommand("hscan", -3, kReadOnly, kKey, CmdHScan, "hash", kHash,
                        "Iterates over the fields and values of a hash.", "2.8.0"));
}

}  // namespace ember
