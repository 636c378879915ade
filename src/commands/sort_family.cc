// SORT and SORT_RO, as Redis 7.0's sortCommandGeneric: the elements of a list, set or sorted set,
// ordered numerically or (ALPHA) as strings, optionally by the values of other keys (BY pattern,
// where the first '*' is replaced by the element and "->field" reads a hash field), limited
// (LIMIT offset count), projected through GET patterns ("#" is the element itself) and either
// replied or stored as a list (STORE).
//
// BY with a pattern without '*' skips sorting: lists and sorted sets keep their own order (DESC
// reverses it, LIMIT picks the range directly); a set is then still sorted (ALPHA) when the
// result is stored, so replicas store the same list. As Redis 7.0, a sorted set is converted to
// its skiplist encoding by SORT.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/hash_object.h"
#include "db/list_object.h"
#include "db/set_object.h"
#include "db/zset_object.h"

namespace ember {

namespace {

using std::string_view;

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;
  std::optional<string_view> by;
  std::vector<string_view> gets;
  std::optional<string_view> store;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
};

bool ParseSortOptions(CommandContext& ctx, bool readonly, SortOptions* o) {
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const string_view a = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (EqualsIgnoreCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseInt64(ctx.arg(j + 1), &o->limit_start) ||
          !ParseInt64(ctx.arg(j + 2), &o->limit_count)) {
        ctx.reply().Error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      o->store = ctx.arg(++j);
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      o->by = ctx.arg(++j);
      // A pattern without '*' names no per-element key: nothing to sort by.
      if (o->by->find('*') == string_view::npos) o->dontsort = true;
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      o->gets.push_back(ctx.arg(++j));
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

// Redis's lookupKeyByPattern: the value a BY/GET pattern names for `element`, if any.
std::optional<std::string> LookupByPattern(CommandContext& ctx, string_view pattern,
                                           string_view element) {
  if (pattern == "#") return std::string(element);
  const size_t star = pattern.find('*');
  if (star == string_view::npos) return std::nullopt;
  string_view field;
  size_t key_end = pattern.size();
  if (size_t arrow = pattern.find("->", star + 1);
      arrow != string_view::npos && arrow + 2 < pattern.size()) {
    field = pattern.substr(arrow + 2);
    key_end = arrow;
  }
  std::string key(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, key_end - star - 1));
  KeyEntry* e = ctx.LookupRead(key);
  if (!e) return std::nullopt;
  if (!field.empty()) {
    if (e->value.type() != ValueType::kHash) return std::nullopt;
    std::optional<PackedValue> v = e->value.As<HashObject>()->Get(field);
    if (!v) return std::nullopt;
    return v->ToString();
  }
  if (e->value.type() != ValueType::kString) return std::nullopt;
  return e->value.ToString();
}

struct SortItem {
  std::string element;
  double score = 0;                 // numeric sort
  std::optional<std::string> by;    // ALPHA with BY: the pattern's value (absent sorts first)
};

// The elements to sort. For lists and sorted sets that are not sorted, only [start, end] in the
// requested direction, and start/end become relative to what was loaded.
std::vector<SortItem> LoadElements(const Value& v, const SortOptions& o, int64_t* start,
                                   int64_t* end) {
  std::vector<SortItem> items;
  auto add = [&](string_view s) { items.push_back({std::string(s), 0, std::nullopt}); };
  const bool ranged = o.dontsort && v.type() != ValueType::kSet;
  if (!ranged) {
    switch (v.type()) {
      case ValueType::kList:
        v.As<ListObject>()->ql().ForEach([&](const PackedValue& p) { add(p.ToString()); });
        break;
      case ValueType::kSet: SetForEach(v, add); break;
      case ValueType::kZSet: {
        const ZSetObject* z = v.As<ZSetObject>();
        for (auto c = z->AtRank(0, false); c.valid(); c.Next()) add(c.member());
        break;
      }
      default: break;
    }
    return items;
  }
  const int64_t count = *end - *start + 1;
  if (count <= 0) return items;
  if (v.type() == ValueType::kList) {
    const Quicklist& ql = v.As<ListObject>()->ql();
    const auto n = static_cast<int64_t>(ql.size());
    // Walk once; keep the requested window in list order, then reverse for DESC.
    int64_t index = 0;
    const int64_t first = o.desc ? n - 1 - *end : *start;
    ql.ForEach([&](const PackedValue& p) {
      if (index >= first && index < first + count) add(p.ToString());
      ++index;
    });
    if (o.desc) std::reverse(items.begin(), items.end());
  } else {
    const ZSetObject* z = v.As<ZSetObject>();
    auto c = z->AtRank(static_cast<size_t>(*start), o.desc);
    for (int64_t i = 0; i < count && c.valid(); ++i) {
      add(c.member());
      if (o.desc) {
        c.Prev();
      } else {
        c.Next();
      }
    }
  }
  *end -= *start;
  *start = 0;
  return items;
}

// Redis's sortCompare.
bool SortLess(const SortItem& a, const SortItem& b, const SortOptions& o) {
  int cmp;
  if (!o.alpha) {
    if (a.score != b.score) {
      cmp = a.score > b.score ? 1 : -1;
    } else {
      cmp = a.element.compare(b.element);
    }
  } else if (o.by) {
    if (!a.by || !b.by) {
      cmp = a.by.has_value() == b.by.has_value() ? 0 : a.by ? 1 : -1;
    } else {
      cmp = a.by->compare(*b.by);
    }
  } else {
    cmp = a.element.compare(b.element);
  }
  return o.desc ? cmp > 0 : cmp < 0;
}

// Numeric sort keys as Redis parses them (strtod: leading spaces, hex and "inf" accepted).
bool ParseSortScore(const std::string& s, double* out) {
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!ParseSortOptions(ctx, readonly, &o)) return;
  // A read lookup even with STORE, as Redis 7.0 (it counts the hit or miss, reports keymiss).
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (e && e->value.type() != ValueType::kList && e->value.type() != ValueType::kSet &&
      e->value.type() != ValueType::kZSet) {
    return ctx.reply().Error(errors::kWrongType);
  }
  // Replicas must store what the master stored: an unsorted set would be in hash order.
  if (e && o.dontsort && e->value.type() == ValueType::kSet && o.store) {
    o.dontsort = false;
    o.alpha = true;
    o.by.reset();
  }
  if (e && e->value.type() == ValueType::kZSet) ZSetConvertToSkiplist(e->value);

  const auto vectorlen = static_cast<int64_t>(e ? e->value.object()->size() : 0);
  int64_t start = std::max<int64_t>(o.limit_start, 0);
  int64_t end = o.limit_count < 0 ? vectorlen - 1 : start + o.limit_count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  std::vector<SortItem> items;
  if (e) items = LoadElements(e->value, o, &start, &end);

  if (!o.dontsort) {
    bool conversion_error = false;
    for (SortItem& it : items) {
      std::optional<std::string> by;
      if (o.by) {
        by = LookupByPattern(ctx, *o.by, it.element);
        if (!by) continue;
      }
      if (o.alpha) {
        if (o.by) it.by = std::move(by);
      } else if (!ParseSortScore(by ? *by : it.element, &it.score)) {
        conversion_error = true;
      }
    }
    if (conversion_error) {
      return ctx.reply().Error("ERR One or more scores can't be converted into double");
    }
    std::sort(items.begin(), items.end(),
              [&](const SortItem& a, const SortItem& b) { return SortLess(a, b, o); });
  }

  const int64_t selected = std::max<int64_t>(end - start + 1, 0);
  const int64_t outputlen = o.gets.empty() ? selected : selected * static_cast<int64_t>(o.gets.size());
  std::vector<std::optional<std::string>> output;
  output.reserve(static_cast<size_t>(outputlen));
  for (int64_t j = start; j <= end; ++j) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (o.gets.empty()) output.emplace_back(element);
    for (string_view pattern : o.gets) output.push_back(LookupByPattern(ctx, pattern, element));
  }

  if (!o.store) {
    ctx.reply().ArrayLen(output.size());
    for (const auto& v : output) {
      if (v) {
        ctx.reply().Bulk(*v);
      } else {
        ctx.reply().Null();
      }
    }
    return;
  }
  Database& db = ctx.db();
  if (outputlen > 0) {
    auto list = std::make_unique<ListObject>();
    for (const auto& v : output) list->ql().PushTail(v ? string_view(*v) : string_view());
    ctx.LookupWrite(*o.store);  // setKey's lookup: an expired destination goes first
    db.Set(*o.store, Value::FromObject(ValueType::kList, std::move(list)));
    ctx.MarkDirty(static_cast<uint64_t>(outputlen));
    ctx.Notify(notify::kList, "sortstore", *o.store);
  } else if (db.Delete(*o.store)) {
    ctx.MarkDirty();
    ctx.Notify(notify::kGeneric, "del", *o.store);
  }
  ctx.reply().Integer(outputlen);
}

void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

}  // namespace

void RegisterSortFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kCats = acl_cat::kSet | acl_cat::kSortedSet | acl_cat::kList |
                             acl_cat::kDangerous;
  table.Add(MakeCommand("sort", -2, kWrite | kDenyOom | kMovableKeys, {1, 1, 1}, CmdSort, "generic",
                        kCats, "Sorts the elements of a list, set or sorted set, optionally "
                        "storing the result.", "1.0.0"));
  table.Add(MakeCommand("sort_ro", -2, kReadOnly | kMovableKeys, {1, 1, 1}, CmdSortRo, "generic",
                        kCats, "Sorts the elements of a list, set or sorted set (read-only).",
                        "7.0.0"));
}

}  // namespace ember
