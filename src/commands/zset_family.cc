// Sorted set commands (Redis's t_zset.c): ZADD/ZINCRBY, point reads (ZSCORE, ZMSCORE, ZRANK,
// ZCARD, ZCOUNT, ZLEXCOUNT), the ZRANGE family (by rank, score or lex, forward or reverse, with
// LIMIT, and ZRANGESTORE), removals (ZREM, ZREMRANGEBY*), pops (ZPOPMIN/MAX, ZMPOP and the
// blocking BZPOPMIN/BZPOPMAX/BZMPOP), ZRANDMEMBER, ZSCAN, and the set algebra (ZUNION, ZINTER,
// ZDIFF, their STORE forms, ZINTERCARD).
//
// Replies, errors and their order follow Redis 7.0. Scores are replied as doubles ("%.17g",
// RESP3 doubles); with WITHSCORES, RESP3 clients get [member, score] pairs.
//
// Propagation: pops served by a blocking command or ZMPOP are sent as ZPOPMIN/ZPOPMAX key
// [count], as Redis 7.0 does; everything else is deterministic and propagated as received.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/scan_options.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/set_object.h"
#include "db/value.h"
#include "db/zset_object.h"

namespace ember {

namespace {

using std::string_view;

constexpr string_view kErrMinMaxNotFloat = "ERR min or max is not a float";
constexpr string_view kErrMinMaxNotLex = "ERR min or max not valid string range item";
constexpr string_view kErrNaN = "ERR resulting score is not a number (NaN)";
constexpr string_view kErrXxNx = "ERR XX and NX options at the same time are not compatible";
constexpr string_view kErrGtLtNx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
constexpr string_view kErrIncrPair = "ERR INCR option supports a single increment-element pair";
constexpr string_view kErrLimitNeedsBy =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
constexpr string_view kErrWithscoresBylex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
constexpr string_view kErrMustBePositive = "ERR value is out of range, must be positive";
constexpr string_view kErrNumkeys = "ERR numkeys should be greater than 0";
constexpr string_view kErrCount = "ERR count should be greater than 0";
constexpr string_view kErrOutOfRange = "ERR value is out of range";
constexpr string_view kErrWeight = "ERR weight value is not a float";
constexpr string_view kErrLimitNegative = "ERR LIMIT can't be negative";

struct ScoredMember {
  std::string member;
  double score;
};

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

// Redis's getDoubleFromObject: strtod over the whole argument, no leading space, no NaN, no
// overflow (an underflow to a non-zero subnormal is accepted).
bool ParseScore(string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return false;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

// One end of a score range (Redis's zslParseRange): "(" makes it exclusive; the rest goes to
// strtod, which (as in Redis) skips leading spaces and stops at a NUL byte.
bool ParseScoreBound(string_view s, double* value, bool* exclusive) {
  std::string buf(s);
  const char* start = buf.c_str();
  *exclusive = !buf.empty() && buf[0] == '(';
  if (*exclusive) ++start;
  char* end = nullptr;
  *value = std::strtod(start, &end);
  return *end == '\0' && !std::isnan(*value);
}

bool ParseScoreRange(string_view min, string_view max, ScoreRange* range) {
  return ParseScoreBound(min, &range->min, &range->min_exclusive) &&
         ParseScoreBound(max, &range->max, &range->max_exclusive);
}

// Redis's zslParseLexRangeItem. The bound views into `s`.
bool ParseLexBound(string_view s, LexBound* bound) {
  if (s.empty()) return false;
  // A C string in Redis: a NUL right after "+"/"-" ends it.
  bool single = s.size() == 1 || s[1] == '\0';
  switch (s[0]) {
    case '+':
      if (!single) return false;
      bound->kind = LexBound::Kind::kPlusInf;
      return true;
    case '-':
      if (!single) return false;
      bound->kind = LexBound::Kind::kMinusInf;
      return true;
    case '(':
    case '[':
      bound->kind = LexBound::Kind::kValue;
      bound->exclusive = s[0] == '(';
      bound->value = s.substr(1);
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(string_view min, string_view max, LexRange* range) {
  return ParseLexBound(min, &range->min) && ParseLexBound(max, &range->max);
}

bool ParseLong(CommandContext& ctx, string_view s, int64_t* out) {
  if (ParseInt64(s, out)) return true;
  ctx.reply().Error(errors::kNotInteger);
  return false;
}

// Redis's getRangeLongFromObjectOrReply with a message: an integer in [min, max], else
// `range_error` (also for what is not an integer at all).
bool ParseLongInRange(CommandContext& ctx, string_view s, int64_t min, int64_t max,
                      string_view range_error, int64_t* out) {
  if (!ParseInt64(s, out) || *out < min || *out > max) {
    ctx.reply().Error(range_error);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

const ZSetObject& Read(const Value& zset) { return *zset.As<ZSetObject>(); }

// Looks `key` up. Returns false (WRONGTYPE replied) when it holds another type; otherwise
// *zset is the zset's Value or null when missing. Changes to the zset go through that Value.
bool LookupZSetValue(CommandContext& ctx, string_view key, bool for_write, Value** zset) {
  KeyEntry* e = for_write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  if (e && e->value.type() != ValueType::kZSet) {
    ctx.reply().Error(errors::kWrongType);
    return false;
  }
  *zset = e ? &e->value : nullptr;
  return true;
}

// Looks `key` up for reading, as LookupZSetValue.
bool LookupZSet(CommandContext& ctx, string_view key, const ZSetObject** zset) {
  Value* v;
  if (!LookupZSetValue(ctx, key, /*for_write=*/false, &v)) return false;
  *zset = v ? &Read(*v) : nullptr;
  return true;
}

// Adds a key that a LookupWrite just reported missing.
Value* AddZSet(CommandContext& ctx, string_view key, Value zset) {
  return &ctx.AddNewKey(key, std::move(zset))->value;
}

// Stores a result zset at `key`, replacing whatever is there (Redis's setKey: the TTL goes).
void StoreZSet(CommandContext& ctx, string_view key, Value zset) {
  ctx.LookupWrite(key);  // setKey's lookup: an expired destination is removed ("expired") first
  ctx.db().Set(key, std::move(zset));
}

void DeleteIfEmpty(CommandContext& ctx, string_view key, const Value& zset) {
  if (Read(zset).size() == 0) ctx.db().Delete(key);
}

// After a command removed members: its keyspace event, then Redis's "del" if the zset emptied.
void NotifyRemoved(CommandContext& ctx, string_view key, const Value& zset, string_view event) {
  ctx.Notify(notify::kZset, event, key);
  if (Read(zset).size() == 0) {
    ctx.db().Delete(key);
    ctx.Notify(notify::kGeneric, "del", key);
  }
}

// A *STORE result replaced `dst` (`event`) or, empty, deleted it ("del").
void NotifyStored(CommandContext& ctx, string_view dst, bool stored, string_view event) {
  if (stored) {
    ctx.Notify(notify::kZset, event, dst);
  } else {
    ctx.Notify(notify::kGeneric, "del", dst);
  }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

// Members, with their scores when asked: flat in RESP2, [member, score] pairs in RESP3.
void ReplyMembers(ReplyBuilder& r, const std::vector<ScoredMember>& items, bool withscores) {
  r.ArrayLen(withscores && !r.resp3() ? items.size() * 2 : items.size());
  for (const auto& item : items) {
    if (withscores && r.resp3()) r.ArrayLen(2);
    r.Bulk(item.member);
    if (withscores) r.Double(item.score);
  }
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY
// ---------------------------------------------------------------------------------------------

void ZAddGeneric(CommandContext& ctx, int flags) {
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.argc(); ++idx) {
    string_view opt = ctx.arg(idx);
    if (EqualsIgnoreCase(opt, "nx")) {
      flags |= ZSetObject::kNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      flags |= ZSetObject::kXx;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      flags |= ZSetObject::kIncr;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      flags |= ZSetObject::kGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      flags |= ZSetObject::kLt;
    } else {
      break;
    }
  }
  const bool incr = flags & ZSetObject::kIncr;
  const bool nx = flags & ZSetObject::kNx, xx = flags & ZSetObject::kXx;
  const bool gt = flags & ZSetObject::kGt, lt = flags & ZSetObject::kLt;
  size_t args = ctx.argc() - idx;
  if (args == 0 || args % 2) return ctx.ReplySyntaxError();
  size_t elements = args / 2;
  if (nx && xx) return ctx.reply().Error(kErrXxNx);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return ctx.reply().Error(kErrGtLtNx);
  if (incr && elements > 1) return ctx.reply().Error(kErrIncrPair);

  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!ParseScore(ctx.arg(idx + j * 2), &scores[j])) return ctx.reply().Error(errors::kNotFloat);
  }

  string_view key = ctx.arg(1);
  Value* zset;
  if (!LookupZSetValue(ctx, key, /*for_write=*/true, &zset)) return;
  size_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (!zset) {
    if (xx) {
      if (incr) return ctx.reply().Null();
      return ctx.reply().Integer(0);
    }
    // Redis 7.0 picks the encoding from the first member only; adding the rest converts.
    zset = AddZSet(ctx, key, NewZSetValue(1, ctx.arg(idx + 1).size()));
  }
  bool nan = false;
  for (size_t j = 0; j < elements && !nan; ++j) {
    double new_score = 0;
    auto outcome = ZSetAdd(*zset, ctx.arg(idx + j * 2 + 1), scores[j], flags, &new_score);
    if (outcome == ZSetObject::AddOutcome::kNaN) nan = true;
    if (outcome == ZSetObject::AddOutcome::kAdded) ++added;
    if (outcome == ZSetObject::AddOutcome::kUpdated) ++updated;
    if (outcome != ZSetObject::AddOutcome::kNop && !nan) {
      ++processed;
      score = new_score;
    }
  }
  if (nan) {
    ctx.reply().Error(kErrNaN);
  } else if (incr) {
    processed ? ctx.reply().Double(score) : ctx.reply().Null();
  } else {
    ctx.reply().Integer(static_cast<int64_t>(ch ? added + updated : added));
  }
  DeleteIfEmpty(ctx, key, *zset);
  if (added + updated) {
    ctx.MarkDirty(added + updated);
    ctx.Notify(notify::kZset, incr ? "zincr" : "zadd", key);
  }
}

void CmdZAdd(CommandContext& ctx) { ZAddGeneric(ctx, 0); }

void CmdZIncrBy(CommandContext& ctx) {
  // ZINCRBY key increment member is ZADD key INCR increment member.
  double incr;
  if (!ParseScore(ctx.arg(2), &incr)) return ctx.reply().Error(errors::kNotFloat);
  string_view key = ctx.arg(1);
  Value* zset;
  if (!LookupZSetValue(ctx, key, true, &zset)) return;
  if (!zset) zset = AddZSet(ctx, key, NewZSetValue(1, ctx.arg(3).size()));
  double new_score = 0;
  auto outcome = ZSetAdd(*zset, ctx.arg(3), incr, ZSetObject::kIncr, &new_score);
  if (outcome == ZSetObject::AddOutcome::kNaN) {
    ctx.reply().Error(kErrNaN);
  } else {
    ctx.reply().Double(new_score);
  }
  DeleteIfEmpty(ctx, key, *zset);
  if (outcome == ZSetObject::AddOutcome::kAdded || outcome == ZSetObject::AddOutcome::kUpdated) {
    ctx.MarkDirty();
    ctx.Notify(notify::kZset, "zincr", key);
  }
}

// ---------------------------------------------------------------------------------------------
// Point reads
// ---------------------------------------------------------------------------------------------

void CmdZCard(CommandContext& ctx) {
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ctx.reply().Integer(zset ? static_cast<int64_t>(zset->size()) : 0);
}

void CmdZScore(CommandContext& ctx) {
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  std::optional<double> score = zset ? zset->Score(ctx.arg(2)) : std::nullopt;
  score ? ctx.reply().Double(*score) : ctx.reply().Null();
}

void CmdZMScore(CommandContext& ctx) {
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ctx.reply().ArrayLen(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::optional<double> score = zset ? zset->Score(ctx.arg(i)) : std::nullopt;
    score ? ctx.reply().Double(*score) : ctx.reply().Null();
  }
}

void ZRankGeneric(CommandContext& ctx, bool reverse) {
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  std::optional<size_t> rank = zset ? zset->Rank(ctx.arg(2), reverse) : std::nullopt;
  rank ? ctx.reply().Integer(static_cast<int64_t>(*rank)) : ctx.reply().Null();
}
void CmdZRank(CommandContext& ctx) { ZRankGeneric(ctx, false); }
void CmdZRevRank(CommandContext& ctx) { ZRankGeneric(ctx, true); }

void CmdZCount(CommandContext& ctx) {
  ScoreRange range;
  if (!ParseScoreRange(ctx.arg(2), ctx.arg(3), &range)) {
    return ctx.reply().Error(kErrMinMaxNotFloat);
  }
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ctx.reply().Integer(zset ? static_cast<int64_t>(zset->CountInRange(range)) : 0);
}

void CmdZLexCount(CommandContext& ctx) {
  LexRange range;
  if (!ParseLexRange(ctx.arg(2), ctx.arg(3), &range)) return ctx.reply().Error(kErrMinMaxNotLex);
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ctx.reply().Integer(zset ? static_cast<int64_t>(zset->CountInLexRange(range)) : 0);
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its variants
// ---------------------------------------------------------------------------------------------

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Clamps a rank range as Redis does. False when it selects nothing.
bool ClampRanks(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start = len + *start;
  if (*end < 0) *end = len + *end;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

// Collects the members of a range into `out`.
struct RangeQuery {
  RangeType type = RangeType::kRank;
  bool reverse = false;
  int64_t start = 0, end = 0;  // ranks
  ScoreRange score;
  LexRange lex;
  int64_t offset = 0, limit = -1;

  void Collect(const ZSetObject& zset, std::vector<ScoredMember>* out) const {
    if (type == RangeType::kRank) {
      int64_t s = start, e = end;
      if (!ClampRanks(static_cast<int64_t>(zset.size()), &s, &e)) return;
      out->reserve(static_cast<size_t>(e - s + 1));
      ZSetObject::Cursor c = zset.AtRank(static_cast<size_t>(s), reverse);
      for (int64_t i = s; i <= e && c.valid(); ++i) {
        out->push_back({std::string(c.member()), c.score()});
        reverse ? c.Prev() : c.Next();
      }
      return;
    }
    if (offset > 0 && static_cast<uint64_t>(offset) >= zset.size()) return;
    ZSetObject::Cursor c = type == RangeType::kScore ? zset.FirstInRange(score, reverse)
                                                     : zset.FirstInLexRange(lex, reverse);
    // A negative offset skips everything, as in Redis.
    for (int64_t skip = offset; c.valid() && skip != 0; --skip) reverse ? c.Prev() : c.Next();
    for (int64_t left = limit; c.valid() && left != 0; --left) {
      if (type == RangeType::kScore) {
        double s = c.score();
        if (reverse ? !score.AboveMin(s) : !score.BelowMax(s)) break;
      } else {
        string_view m = c.member();
        if (reverse ? !lex.AboveMin(m) : !lex.BelowMax(m)) break;
      }
      out->push_back({std::string(c.member()), c.score()});
      reverse ? c.Prev() : c.Next();
    }
  }
};

// Redis's zrangeGenericCommand. `first` is the index of the source key; `dst` is the
// destination for ZRANGESTORE (empty otherwise).
void ZRangeGeneric(CommandContext& ctx, size_t first, string_view dst, RangeType type,
                   Direction direction) {
  const bool store = !dst.empty();
  bool withscores = false;
  RangeQuery q;
  for (size_t j = first + 3; j < ctx.argc(); ++j) {
    size_t left = ctx.argc() - j - 1;
    string_view opt = ctx.arg(j);
    if (!store && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!ParseLong(ctx, ctx.arg(j + 1), &q.offset) || !ParseLong(ctx, ctx.arg(j + 2), &q.limit)) {
        return;
      }
      j += 2;
    } else if (direction == Direction::kAuto && EqualsIgnoreCase(opt, "rev")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (direction == Direction::kAuto) direction = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  bool limit_given = q.limit != -1;
  if (limit_given && type == RangeType::kRank) return ctx.reply().Error(kErrLimitNeedsBy);
  if (withscores && type == RangeType::kLex) return ctx.reply().Error(kErrWithscoresBylex);
  q.type = type;
  q.reverse = direction == Direction::kReverse;

  size_t min_idx = first + 1, max_idx = first + 2;
  // BYSCORE/BYLEX ranges are given as max, min when reversed.
  if (q.reverse && type != RangeType::kRank) std::swap(min_idx, max_idx);
  switch (type) {
    case RangeType::kScore:
      if (!ParseScoreRange(ctx.arg(min_idx), ctx.arg(max_idx), &q.score)) {
        return ctx.reply().Error(kErrMinMaxNotFloat);
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(ctx.arg(min_idx), ctx.arg(max_idx), &q.lex)) {
        return ctx.reply().Error(kErrMinMaxNotLex);
      }
      break;
    default:
      if (!ParseLong(ctx, ctx.arg(min_idx), &q.start) || !ParseLong(ctx, ctx.arg(max_idx), &q.end)) {
        return;
      }
  }

  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(first), &zset)) return;
  std::vector<ScoredMember> items;
  if (zset) q.Collect(*zset, &items);
  if (!store) return ReplyMembers(ctx.reply(), items, withscores);

  // ZRANGESTORE: the result replaces dst, or deletes it when empty.
  ctx.reply().Integer(static_cast<int64_t>(items.size()));
  if (items.empty()) {
    if (ctx.db().Delete(dst)) {
      ctx.MarkDirty();
      NotifyStored(ctx, dst, false, {});
    }
    return;
  }
  size_t hint = type == RangeType::kRank ? items.size() : 0;
  Value result = NewZSetValue(hint, 0);
  for (const auto& item : items) ZSetInsertNew(result, item.member, item.score);
  StoreZSet(ctx, dst, std::move(result));
  ctx.MarkDirty();
  NotifyStored(ctx, dst, true, "zrangestore");
}

void CmdZRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kAuto, Direction::kAuto);
}
void CmdZRangeStore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, ctx.arg(1), RangeType::kAuto, Direction::kAuto);
}
void CmdZRevRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kRank, Direction::kReverse);
}
void CmdZRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kScore, Direction::kForward);
}
void CmdZRevRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kScore, Direction::kReverse);
}
void CmdZRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kLex, Direction::kForward);
}
void CmdZRevRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, {}, RangeType::kLex, Direction::kReverse);
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZREMRANGEBY*
// ---------------------------------------------------------------------------------------------

void CmdZRem(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  Value* zset;
  if (!LookupZSetValue(ctx, key, true, &zset)) return;
  if (!zset) return ctx.reply().Integer(0);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ZSetRemove(*zset, ctx.arg(i))) ++deleted;
    if (Read(*zset).size() == 0) break;
  }
  if (deleted) {
    ctx.MarkDirty(static_cast<uint64_t>(deleted));
    NotifyRemoved(ctx, key, *zset, "zrem");
  }
  ctx.reply().Integer(deleted);
}

void ZRemRangeGeneric(CommandContext& ctx, RangeType type) {
  string_view key = ctx.arg(1);
  int64_t start = 0, end = 0;
  ScoreRange score;
  LexRange lex;
  if (type == RangeType::kRank) {
    if (!ParseLong(ctx, ctx.arg(2), &start) || !ParseLong(ctx, ctx.arg(3), &end)) return;
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRange(ctx.arg(2), ctx.arg(3), &score)) {
      return ctx.reply().Error(kErrMinMaxNotFloat);
    }
  } else if (!ParseLexRange(ctx.arg(2), ctx.arg(3), &lex)) {
    return ctx.reply().Error(kErrMinMaxNotLex);
  }
  Value* zset;
  if (!LookupZSetValue(ctx, key, true, &zset)) return;
  if (!zset) return ctx.reply().Integer(0);
  size_t deleted = 0;
  if (type == RangeType::kRank) {
    if (!ClampRanks(static_cast<int64_t>(Read(*zset).size()), &start, &end)) {
      return ctx.reply().Integer(0);
    }
    deleted = ZSetRemoveRangeByRank(*zset, static_cast<size_t>(start), static_cast<size_t>(end));
  } else if (type == RangeType::kScore) {
    deleted = ZSetRemoveRangeByScore(*zset, score);
  } else {
    deleted = ZSetRemoveRangeByLex(*zset, lex);
  }
  if (deleted) {
    ctx.MarkDirty(deleted);
    NotifyRemoved(ctx, key, *zset,
                  type == RangeType::kRank    ? "zremrangebyrank"
                  : type == RangeType::kScore ? "zremrangebyscore"
                                              : "zremrangebylex");
  }
  ctx.reply().Integer(static_cast<int64_t>(deleted));
}

void CmdZRemRangeByRank(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kRank); }
void CmdZRemRangeByScore(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kScore); }
void CmdZRemRangeByLex(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kLex); }

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

// How a pop replies (Redis's genericZpopCommand arguments).
struct PopStyle {
  bool emit_key = false;            // BZPOP*, ZMPOP, BZMPOP
  bool nested = false;              // [member, score] pairs
  bool null_when_empty = false;     // ZMPOP/BZMPOP: null array when no key has members
};

// Pops up to `count` (-1: one, flat reply) members from the first key of `keys` that exists,
// erroring on a key of another type met before it. Returns the key popped from (empty if none).
std::string PopGeneric(CommandContext& ctx, std::span<const string_view> keys, bool max,
                       int64_t count, PopStyle style) {
  Value* zset = nullptr;
  string_view key;
  for (string_view k : keys) {
    if (!LookupZSetValue(ctx, k, true, &zset)) return {};
    if (zset) {
      key = k;
      break;
    }
  }
  ReplyBuilder& r = ctx.reply();
  if (!zset) {
    style.null_when_empty ? r.NullArray() : r.EmptyArray();
    return {};
  }
  if (count == 0) {
    r.EmptyArray();
    return {};
  }
  if (count == -1) count = 1;
  const size_t size = Read(*zset).size();
  size_t n = std::min(static_cast<size_t>(count), size);
  std::vector<ScoredMember> popped;
  popped.reserve(n);
  ZSetObject::Cursor c = Read(*zset).AtRank(0, max);
  for (size_t i = 0; i < n; ++i) {
    popped.push_back({std::string(c.member()), c.score()});
    max ? c.Prev() : c.Next();
  }
  if (max) {
    ZSetRemoveRangeByRank(*zset, size - n, size - 1);
  } else {
    ZSetRemoveRangeByRank(*zset, 0, n - 1);
  }

  if (!style.emit_key) {
    r.ArrayLen(style.nested ? n : n * 2);
  } else if (!style.nested) {
    r.ArrayLen(n * 2 + 1);
    r.Bulk(key);
  } else {
    r.ArrayLen(2);
    r.Bulk(key);
    r.ArrayLen(n);
  }
  for (const auto& item : popped) {
    if (style.nested) r.ArrayLen(2);
    r.Bulk(item.member);
    r.Double(item.score);
  }
  std::string popped_key(key);
  NotifyRemoved(ctx, key, *zset, max ? "zpopmax" : "zpopmin");
  ctx.MarkDirty(n);
  return popped_key;
}

void ZPopCommand(CommandContext& ctx, bool max) {
  if (ctx.argc() > 3) return ctx.ReplySyntaxError();
  int64_t count = -1;
  if (ctx.argc() == 3 &&
      !ParseLongInRange(ctx, ctx.arg(2), 0, INT64_MAX, kErrMustBePositive, &count)) {
    return;
  }
  PopStyle style;
  style.nested = ctx.reply().resp3() && count != -1;
  PopGeneric(ctx, ctx.args().subspan(1, 1), max, count, style);
}
void CmdZPopMin(CommandContext& ctx) { ZPopCommand(ctx, false); }
void CmdZPopMax(CommandContext& ctx) { ZPopCommand(ctx, true); }

// Serves a blocking pop now if any key has members (propagating the plain pop), else blocks or,
// when the client may not block, replies a null array. `count` -1 is BZPOPMIN/BZPOPMAX's
// single pop.
void BlockingPop(CommandContext& ctx, std::span<const string_view> keys, bool max,
                 string_view timeout_arg, int64_t count, PopStyle style) {
  int64_t deadline_ms;
  if (!ParseBlockingTimeout(ctx, timeout_arg, &deadline_ms)) return;
  for (string_view k : keys) {
    Value* zset;
    if (!LookupZSetValue(ctx, k, true, &zset)) return;
    if (!zset || Read(*zset).size() == 0) continue;
    std::string key = PopGeneric(ctx, std::span<const string_view>(&k, 1), max, count, style);
    std::vector<std::string> effect{max ? "ZPOPMAX" : "ZPOPMIN", key};
    if (count != -1) effect.push_back(std::to_string(count));
    ctx.Propagate(std::move(effect));
    return;
  }
  if (!ctx.may_block()) return ctx.reply().NullArray();
  ctx.BlockOnKeys(std::vector<std::string>(keys.begin(), keys.end()), deadline_ms,
                  ValueType::kZSet);
}

void BZPopCommand(CommandContext& ctx, bool max) {
  BlockingPop(ctx, ctx.args().subspan(1, ctx.argc() - 2), max, ctx.arg(ctx.argc() - 1), -1,
              PopStyle{.emit_key = true, .nested = false, .null_when_empty = false});
}
void CmdBZPopMin(CommandContext& ctx) { BZPopCommand(ctx, false); }
void CmdBZPopMax(CommandContext& ctx) { BZPopCommand(ctx, true); }

// ZMPOP numkeys key... MIN|MAX [COUNT n] (and BZMPOP timeout numkeys ...).
void ZMPopGeneric(CommandContext& ctx, size_t numkeys_idx, bool blocking) {
  int64_t numkeys;
  if (!ParseLongInRange(ctx, ctx.arg(numkeys_idx), 1, INT64_MAX, kErrNumkeys, &numkeys)) return;
  if (static_cast<uint64_t>(numkeys) >= ctx.argc() - numkeys_idx - 1) {
    return ctx.ReplySyntaxError();
  }
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  bool max;
  if (EqualsIgnoreCase(ctx.arg(where_idx), "min")) {
    max = false;
  } else if (EqualsIgnoreCase(ctx.arg(where_idx), "max")) {
    max = true;
  } else {
    return ctx.ReplySyntaxError();
  }
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc(); ++j) {
    bool more = j + 1 < ctx.argc();
    if (count == -1 && EqualsIgnoreCase(ctx.arg(j), "count") && more) {
      ++j;
      if (!ParseLongInRange(ctx, ctx.arg(j), 1, INT64_MAX, kErrCount, &count)) return;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (count == -1) count = 1;
  auto keys = ctx.args().subspan(numkeys_idx + 1, static_cast<size_t>(numkeys));
  PopStyle style{.emit_key = true, .nested = true, .null_when_empty = true};
  if (blocking) return BlockingPop(ctx, keys, max, ctx.arg(1), count, style);
  std::string key = PopGeneric(ctx, keys, max, count, style);
  if (!key.empty()) ctx.Propagate({max ? "ZPOPMAX" : "ZPOPMIN", key, std::to_string(count)});
}
void CmdZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, 1, false); }
void CmdBZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, 2, true); }

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

// A uniformly random member.
ScoredMember RandomMember(CommandContext& ctx, const ZSetObject& zset) {
  auto& rng = ctx.keyspace().rng();
  if (zset.is_listpack()) {
    ZSetObject::Cursor c = zset.AtRank(rng() % zset.size(), false);
    return {std::string(c.member()), c.score()};
  }
  const Skiplist::Node* n = zset.skiplist().Random(rng);
  return {std::string(n->member()), n->score};
}

void ZRandMemberWithCount(CommandContext& ctx, int64_t l, bool withscores) {
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ReplyBuilder& r = ctx.reply();
  if (!zset) return r.EmptyArray();
  const bool unique = l >= 0;
  const uint64_t count = l >= 0 ? static_cast<uint64_t>(l) : 0 - static_cast<uint64_t>(l);
  if (count == 0) return r.EmptyArray();
  const size_t size = zset->size();

  // With repetitions (negative count) or a single member: independent picks.
  if (!unique || count == 1) {
    r.ArrayLen(withscores && !r.resp3() ? count * 2 : count);
    for (uint64_t i = 0; i < count; ++i) {
      ScoredMember m = RandomMember(ctx, *zset);
      if (withscores && r.resp3()) r.ArrayLen(2);
      r.Bulk(m.member);
      if (withscores) r.Double(m.score);
    }
    return;
  }
  std::vector<ScoredMember> picked;
  if (count >= size) {
    // The whole zset, from the highest score down (as Redis 7.0 replies it).
    for (ZSetObject::Cursor c = zset->AtRank(0, true); c.valid(); c.Prev()) {
      picked.push_back({std::string(c.member()), c.score()});
    }
  } else {
    // Distinct members: a partial Fisher-Yates shuffle of the ranks.
    std::vector<size_t> ranks(size);
    for (size_t i = 0; i < size; ++i) ranks[i] = i;
    auto& rng = ctx.keyspace().rng();
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + rng() % (size - i);
      std::swap(ranks[i], ranks[j]);
      ZSetObject::Cursor c = zset->AtRank(ranks[i], false);
      picked.push_back({std::string(c.member()), c.score()});
    }
  }
  ReplyMembers(r, picked, withscores);
}

void CmdZRandMember(CommandContext& ctx) {
  if (ctx.argc() >= 3) {
    int64_t l;
    if (!ParseLong(ctx, ctx.arg(2), &l)) return;
    if (l == INT64_MIN) {
      return ctx.reply().Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    bool withscores = false;
    if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withscores"))) {
      return ctx.ReplySyntaxError();
    }
    if (ctx.argc() == 4) {
      withscores = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) return ctx.reply().Error(kErrOutOfRange);
    }
    return ZRandMemberWithCount(ctx, l, withscores);
  }
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  if (!zset) return ctx.reply().Null();
  ctx.reply().Bulk(RandomMember(ctx, *zset).member);
}

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

void CmdZScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) return ctx.reply().Error(errors::kInvalidCursor);
  const ZSetObject* zset;
  if (!LookupZSet(ctx, ctx.arg(1), &zset)) return;
  ReplyBuilder& r = ctx.reply();
  if (!zset) {
    r.ArrayLen(2);
    r.Bulk("0");
    return r.EmptyArray();
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &opts)) return;
  // Member and score text pairs. A listpack is returned whole (cursor 0) with its scores as
  // stored; a skiplist is walked through its member index, scores formatted as d2string.
  std::vector<std::pair<std::string, std::string>> found;
  if (zset->is_listpack()) {
    const ListpackView lp = zset->listpack();
    for (ListpackView::Pos p = lp.First(); p != ListpackView::kNoPos; p = lp.Next(lp.Next(p))) {
      found.emplace_back(lp.Get(p).ToString(), lp.Get(lp.Next(p)).ToString());
    }
    cursor = 0;
  } else {
    Skiplist& sl = zset->skiplist();
    int64_t max_iterations = opts.max_iterations();
    char buf[32];
    do {
      cursor = sl.Scan(cursor, [&](Skiplist::Node* n) {
        found.emplace_back(std::string(n->member()),
                           std::string(buf, FormatScore(n->score, buf)));
      });
    } while (cursor && max_iterations-- && found.size() < static_cast<uint64_t>(opts.count));
  }
  std::erase_if(found, [&](const auto& f) { return !opts.Matches(f.first); });
  r.ArrayLen(2);
  r.Bulk(std::to_string(cursor));
  r.ArrayLen(found.size() * 2);
  for (const auto& [member, score] : found) {
    r.Bulk(member);
    r.Bulk(score);
  }
}

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF (+STORE), ZINTERCARD
// ---------------------------------------------------------------------------------------------

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a zset, or a plain set whose members all score 1.
struct Source {
  const ZSetObject* zset = nullptr;
  Value* set = nullptr;
  double weight = 1.0;

  size_t size() const { return zset ? zset->size() : set ? SetSize(*set) : 0; }
  template <typename F>
  void ForEach(F&& fn) const {
    if (zset) {
      for (ZSetObject::Cursor c = zset->AtRank(0, false); c.valid(); c.Next()) {
        fn(c.member(), c.score());
      }
    } else if (set) {
      SetForEach(*set, [&](string_view m) { fn(m, 1.0); });
    }
  }
  std::optional<double> Find(string_view member) const {
    if (zset) return zset->Score(member);
    if (set && SetIsMember(*set, member)) return 1.0;
    return std::nullopt;
  }
};

void AggregateInto(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      // +inf + -inf is NaN: Redis makes it 0.
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin: *target = value < *target ? value : *target; break;
    case Aggregate::kMax: *target = value > *target ? value : *target; break;
  }
}

// Redis's zunionInterDiffGenericCommand. `dst` is the STORE destination (empty otherwise).
void ZSetOpGeneric(CommandContext& ctx, string_view dst, size_t numkeys_idx, SetOp op,
                   bool cardinality_only) {
  const bool store = !dst.empty();
  int64_t setnum;
  if (!ParseLong(ctx, ctx.arg(numkeys_idx), &setnum)) return;
  if (setnum < 1) {
    return ctx.reply().Error("ERR at least 1 input key is needed for '" + ctx.spec().name +
                             "' command");
  }
  if (static_cast<uint64_t>(setnum) > ctx.argc() - (numkeys_idx + 1)) {
    return ctx.ReplySyntaxError();
  }
  std::vector<Source> src(static_cast<size_t>(setnum));
  size_t j = numkeys_idx + 1;
  for (auto& s : src) {
    string_view key = ctx.arg(j++);
    // A read lookup with STORE too, as Redis 7.0 (hits/misses, keymiss).
    KeyEntry* e = ctx.LookupRead(key);
    if (!e) continue;
    if (e->value.type() == ValueType::kZSet) {
      s.zset = &Read(e->value);
    } else if (e->value.type() == ValueType::kSet) {
      s.set = &e->value;
    } else {
      return ctx.reply().Error(errors::kWrongType);
    }
  }

  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < ctx.argc()) {
    size_t remaining = ctx.argc() - j;
    string_view opt = ctx.arg(j);
    if (op != SetOp::kDiff && !cardinality_only && remaining >= src.size() + 1 &&
        EqualsIgnoreCase(opt, "weights")) {
      ++j;
      for (auto& s : src) {
        if (!ParseScore(ctx.arg(j++), &s.weight)) return ctx.reply().Error(kErrWeight);
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               EqualsIgnoreCase(opt, "aggregate")) {
      string_view a = ctx.arg(j + 1);
      if (EqualsIgnoreCase(a, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(a, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(a, "max")) {
        agg = Aggregate::kMax;
      } else {
        return ctx.ReplySyntaxError();
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(opt, "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(opt, "limit")) {
      if (!ParseLongInRange(ctx, ctx.arg(j + 1), 0, INT64_MAX, kErrLimitNegative, &limit)) return;
      j += 2;
    } else {
      return ctx.ReplySyntaxError();
    }
  }

  // Smallest inputs first (a stable sort, as glibc's qsort is for Redis).
  if (op != SetOp::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }

  Value result = NewSkiplistZSetValue();  // compacted when stored
  uint64_t cardinality = 0;
  if (op == SetOp::kInter) {
    if (src[0].size() > 0) {
      bool stop = false;
      src[0].ForEach([&](string_view member, double score) {
        if (stop) return;
        double total = src[0].weight * score;
        if (std::isnan(total)) total = 0;
        size_t k = 1;
        for (; k < src.size(); ++k) {
          std::optional<double> other = src[k].Find(member);
          if (!other) break;
          AggregateInto(&total, *other * src[k].weight, agg);
        }
        if (k < src.size()) return;
        if (cardinality_only) {
          ++cardinality;
          if (limit && cardinality >= static_cast<uint64_t>(limit)) stop = true;
        } else {
          ZSetInsertNew(result, member, total);
        }
      });
    }
  } else if (op == SetOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    std::vector<const std::string*> order;  // first-seen order, for a stable build
    for (const auto& s : src) {
      s.ForEach([&](string_view member, double score) {
        double value = s.weight * score;
        if (std::isnan(value)) value = 0;
        auto [it, inserted] = acc.try_emplace(std::string(member), value);
        if (inserted) {
          order.push_back(&it->first);
        } else {
          AggregateInto(&it->second, value, agg);
        }
      });
    }
    for (const std::string* m : order) ZSetInsertNew(result, *m, acc[*m]);
  } else {
    // Members of the first input found in no other, with their first-input score.
    src[0].ForEach([&](string_view member, double score) {
      for (size_t k = 1; k < src.size(); ++k) {
        if (src[k].Find(member)) return;
      }
      ZSetInsertNew(result, member, score);
    });
  }

  if (store) {
    if (Read(result).size() == 0) {
      ctx.reply().Integer(0);
      if (ctx.db().Delete(dst)) {
        ctx.MarkDirty();
        NotifyStored(ctx, dst, false, {});
      }
      return;
    }
    ZSetShrinkToListpackIfFits(result);
    ctx.reply().Integer(static_cast<int64_t>(Read(result).size()));
    StoreZSet(ctx, dst, std::move(result));
    ctx.MarkDirty();
    NotifyStored(ctx, dst, true,
                 op == SetOp::kUnion   ? "zunionstore"
                 : op == SetOp::kInter ? "zinterstore"
                                       : "zdiffstore");
    return;
  }
  if (cardinality_only) return ctx.reply().Integer(static_cast<int64_t>(cardinality));
  ReplyBuilder& r = ctx.reply();
  size_t n = Read(result).size();
  r.ArrayLen(withscores && !r.resp3() ? n * 2 : n);
  for (ZSetObject::Cursor c = Read(result).AtRank(0, false); c.valid(); c.Next()) {
    if (withscores && r.resp3()) r.ArrayLen(2);
    r.Bulk(c.member());
    if (withscores) r.Double(c.score());
  }
}

void CmdZUnion(CommandContext& ctx) { ZSetOpGeneric(ctx, {}, 1, SetOp::kUnion, false); }
void CmdZInter(CommandContext& ctx) { ZSetOpGeneric(ctx, {}, 1, SetOp::kInter, false); }
void CmdZDiff(CommandContext& ctx) { ZSetOpGeneric(ctx, {}, 1, SetOp::kDiff, false); }
void CmdZInterCard(CommandContext& ctx) { ZSetOpGeneric(ctx, {}, 1, SetOp::kInter, true); }
void CmdZUnionStore(CommandContext& ctx) {
  ZSetOpGeneric(ctx, ctx.arg(1), 2, SetOp::kUnion, false);
}
void CmdZInterStore(CommandContext& ctx) {
  ZSetOpGeneric(ctx, ctx.arg(1), 2, SetOp::kInter, false);
}
void CmdZDiffStore(CommandContext& ctx) { ZSetOpGeneric(ctx, ctx.arg(1), 2, SetOp::kDiff, false); }

}  // namespace

void RegisterZSetFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kZ = acl_cat::kSortedSet;
  constexpr KeyRange kKey1{1, 1, 1};
  auto add = [&](const char* name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 const char* summary, const char* since) {
    table.Add(MakeCommand(name, arity, flags, keys, h, "sorted_set", kZ, summary, since));
  };
  add("zadd", -4, kWrite | kDenyOom | kFast, kKey1, CmdZAdd,
      "Adds members to a sorted set, or updates their scores; creates the key if needed.",
      "1.2.0");
  add("zincrby", 4, kWrite | kDenyOom | kFast, kKey1, CmdZIncrBy,
      "Increments the score of a member of a sorted set.", "1.2.0");
  add("zrem", -3, kWrite | kFast, kKey1, CmdZRem,
      "Removes members from a sorted set; deletes the key when it empties.", "1.2.0");
  add("zcard", 2, kReadOnly | kFast, kKey1, CmdZCard,
      "Returns the number of members of a sorted set.", "1.2.0");
  add("zcount", 4, kReadOnly | kFast, kKey1, CmdZCount,
      "Counts the members of a sorted set within a score range.", "2.0.0");
  add("zlexcount", 4, kReadOnly | kFast, kKey1, CmdZLexCount,
      "Counts the members of a sorted set within a lexicographical range.", "2.8.9");
  add("zscore", 3, kReadOnly | kFast, kKey1, CmdZScore,
      "Returns the score of a member of a sorted set.", "1.2.0");
  add("zmscore", -3, kReadOnly | kFast, kKey1, CmdZMScore,
      "Returns the scores of several members of a sorted set.", "6.2.0");
  add("zrank", 3, kReadOnly | kFast, kKey1, CmdZRank,
      "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0");
  add("zrevrank", 3, kReadOnly | kFast, kKey1, CmdZRevRank,
      "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0");
  add("zrange", -4, kReadOnly, kKey1, CmdZRange,
      "Returns members of a sorted set within a range of ranks, scores or lexicographical "
      "values.",
      "1.2.0");
  add("zrangestore", -5, kWrite | kDenyOom, {1, 2, 1}, CmdZRangeStore,
      "Stores a range of members of a sorted set in another key.", "6.2.0");
  add("zrangebyscore", -4, kReadOnly, kKey1, CmdZRangeByScore,
      "Returns members of a sorted set within a score range.", "1.0.5");
  add("zrevrangebyscore", -4, kReadOnly, kKey1, CmdZRevRangeByScore,
      "Returns members of a sorted set within a score range, in reverse order.", "2.2.0");
  add("zrangebylex", -4, kReadOnly, kKey1, CmdZRangeByLex,
      "Returns members of a sorted set within a lexicographical range.", "2.8.9");
  add("zrevrangebylex", -4, kReadOnly, kKey1, CmdZRevRangeByLex,
      "Returns members of a sorted set within a lexicographical range, in reverse order.",
      "2.8.9");
  add("zrevrange", -4, kReadOnly, kKey1, CmdZRevRange,
      "Returns members of a sorted set within a range of ranks, in reverse order.", "1.2.0");
  add("zremrangebyrank", 4, kWrite, kKey1, CmdZRemRangeByRank,
      "Removes the members of a sorted set within a range of ranks.", "2.0.0");
  add("zremrangebyscore", 4, kWrite, kKey1, CmdZRemRangeByScore,
      "Removes the members of a sorted set within a score range.", "1.2.0");
  add("zremrangebylex", 4, kWrite, kKey1, CmdZRemRangeByLex,
      "Removes the members of a sorted set within a lexicographical range.", "2.8.9");
  add("zpopmin", -2, kWrite | kFast, kKey1, CmdZPopMin,
      "Removes and returns the members with the lowest scores.", "5.0.0");
  add("zpopmax", -2, kWrite | kFast, kKey1, CmdZPopMax,
      "Removes and returns the members with the highest scores.", "5.0.0");
  add("zmpop", -4, kWrite | kMovableKeys, kNoKeys, CmdZMPop,
      "Removes and returns members with the lowest or highest scores from the first "
      "non-empty of several sorted sets.",
      "7.0.0");
  add("bzpopmin", -3, kWrite | kNoScript | kBlocking | kFast, {1, -2, 1}, CmdBZPopMin,
      "Removes and returns the member with the lowest score, blocking until one is available.",
      "5.0.0");
  add("bzpopmax", -3, kWrite | kNoScript | kBlocking | kFast, {1, -2, 1}, CmdBZPopMax,
      "Removes and returns the member with the highest score, blocking until one is "
      "available.",
      "5.0.0");
  add("bzmpop", -5, kWrite | kBlocking | kMovableKeys, kNoKeys, CmdBZMPop,
      "Removes and returns members from the first non-empty of several sorted sets, blocking "
      "until one is available.",
      "7.0.0");
  add("zrandmember", -2, kReadOnly, kKey1, CmdZRandMember,
      "Returns one or more random members of a sorted set.", "6.2.0");
  add("zscan", -3, kReadOnly, kKey1, CmdZScan,
      "Iterates over the members and scores of a sorted set.", "2.8.0");
  add("zunion", -3, kReadOnly | kMovableKeys, kNoKeys, CmdZUnion,
      "Returns the union of several sorted sets.", "6.2.0");
  add("zunionstore", -4, kWrite | kDenyOom | kMovableKeys, kKey1, CmdZUnionStore,
      "Stores the union of several sorted sets in a key.", "2.0.0");
  add("zinter", -3, kReadOnly | kMovableKeys, kNoKeys, CmdZInter,
      "Returns the intersection of several sorted sets.", "6.2.0");
  add("zinterstore", -4, kWrite | kDenyOom | kMovableKeys, kKey1, CmdZInterStore,
      "Stores the intersection of several sorted sets in a key.", "2.0.0");
  add("zintercard", -3, kReadOnly | kMovableKeys, kNoKeys, CmdZInterCard,
      "Returns the number of members in the intersection of several sorted sets.", "7.0.0");
  add("zdiff", -3, kReadOnly | kMovableKeys, kNoKeys, CmdZDiff,
      "Returns the difference between several sorted sets.", "6.2.0");
  add("zdiffstore", -4, kWrite | kDenyOom | kMovableKeys, kKey1, CmdZDiffStore,
      "Stores the difference between several sorted sets in a key.", "6.2.0");
}

}  // namespace ember
