// DEBUG: the subcommands tests and tools rely on — SLEEP, SET-ACTIVE-EXPIRE, OBJECT, POPULATE,
// DIGEST, DIGEST-VALUE, PROTOCOL, CHANGE-REPL-ID, LOG, ERROR, HELP — answering as Redis 7.0.
//
// DIGEST follows Redis's computeDatasetDigest exactly, so the same data set gives the same hex
// digest on both servers: per database with keys, mix in the big-endian db index; per key, a
// fresh digest mixes the key, then the big-endian type and the value, then xors "!!expire!!"
// when the key has a TTL; the key digests are xored into the result. mix(d, x) is
// d ^= SHA1(x); d = SHA1(d). An empty data set digests to 40 zeros.
#include <fmt/format.h>

#include <cstdlib>
#include <ctime>

#include "common/errors.h"
#include "common/log.h"
#include "common/sha1.h"
#include "db/digest.h"
#include "common/strings.h"
#include "persistence/rdb_writer.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

// Redis's type numbers (OBJ_STRING 0 ... OBJ_STREAM 6; 5 is OBJ_MODULE).
uint32_t RedisTypeNumber(ValueType t) {
  return t == ValueType::kStream ? 6u : static_cast<uint32_t>(t);
}

// Redis's xorObjectDigest.
void ObjectDigest(Digest& digest, const KeyEntry* e) {
  const Value& v = e->value;
  MixUint32(digest, RedisTypeNumber(v.type()));
  if (v.is_object()) {
    v.object()->AddToDigest(digest);
  } else {
    char scratch[21];
    MixDigest(digest, v.GetString(scratch));
  }
  if (e->has_expire) XorDigest(digest, "!!expire!!", 10);
}

std::string DatasetDigest(Keyspace& ks) {
  Digest final{};
  for (int j = 0; j < ks.num_dbs(); ++j) {
    Database& db = ks.db(j);
    if (db.size() == 0) continue;
    MixUint32(final, static_cast<uint32_t>(j));
    db.ForEach([&](const KeyEntry* e) {
      Digest d{};
      std::string_view key = e->key();
      MixDigest(d, key.data(), key.size());
      ObjectDigest(d, e);
      XorDigest(final, d.data(), d.size());
    });
  }
  return Sha1::Hex(final);
}


void DebugHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANGE-REPL-ID",
      "    Change the replication IDs of the instance.",
      "    Dangerous: should be used only for testing the replication subsystem.",
      "DIGEST",
      "    Output a hex signature representing the current DB content.",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Output a hex signature of the values of all the specified keys.",
      "ERROR <string>",
      "    Return a Redis protocol error with <string> as message. Useful for clients",
      "    unit tests to simulate Redis errors.",
      "LOG <message>",
      "    Write <message> to the server log.",
      "OBJECT <key>",
      "    Show low level info about `key` and associated value.",
      "POPULATE <count> [<prefix>] [<size>]",
      "    Create <count> string keys named key:<num>. If <prefix> is specified then",
      "    it is used instead of the 'key' prefix. These are not propagated to",
      "    replicas. Cluster slots are not respected so keys not belonging to the",
      "    current node can be created in cluster mode.",
      "PROTOCOL <type>",
      "    Reply with a test value of the specified type. <type> can be: string,",
      "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
      "    true, false.",
      "LOADAOF",
      "    Flush the AOF buffers on disk and reload the AOF in memory.",
      "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
      "    Save the data set to the RDB file, empty memory and load the file back.",
      "    MERGE: keys from the file replace existing ones. NOFLUSH: keep the",
      "    current data set while loading. NOSAVE: load the existing file as it is.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not",
      "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
      "    default.",
      "SLEEP <seconds>",
      "    Stop the server for <seconds>. Decimals allowed.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().SimpleStringArray(kLines);
}

void DebugObject(CommandContext& ctx) {
  // As Redis: a raw lookup, so logically expired keys can be inspected too.
  KeyEntry* e = ctx.db().FindRaw(ctx.arg(2));
  if (!e) return ctx.reply().Error(errors::kNoSuchKey);
  const Value& v = e->value;
  bool shared = v.is_int() && v.int_value() >= 0 && v.int_value() < 10000;
  // As Redis: the bytes of the value's RDB encoding (LZF included when rdbcompression is on).
  size_t serialized = RdbSerializedLength(v, ServerOf(ctx).config().rdbcompression);
  ctx.reply().SimpleString(fmt::format(
      "Value at:{} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
      static_cast<const void*>(&e->value), shared ? 2147483647 : 1, v.EncodingName(), serialized,
      static_cast<uint32_t>(e->lru), IdleTimeMs(e) / 1000));
}

void DebugPopulate(CommandContext& ctx) {
  int64_t keys;
  if (!ParseInt64(ctx.arg(2), &keys) || keys < 0) {
    return ctx.reply().Error("ERR value is out of range, must be positive");
  }
  int64_t valsize = 0;
  if (ctx.argc() == 5 && (!ParseInt64(ctx.arg(4), &valsize) || valsize < 0)) {
    return ctx.reply().Error("ERR value is out of range, must be positive");
  }
  std::string prefix = ctx.argc() >= 4 ? std::string(ctx.arg(3)) : std::string("key");
  for (int64_t j = 0; j < keys; ++j) {
    // Redis formats into a 128-byte buffer: very long prefixes are cut.
    std::string key = fmt::format("{}:{}", prefix, j);
    if (key.size() > 127) key.resize(127);
    if (ctx.LookupWrite(key)) continue;
    std::string val = fmt::format("value:{}", j);
    if (valsize > 0) {
      // Padded with zero bytes or truncated to the requested size.
      val.resize(static_cast<size_t>(valsize), '\0');
    }
    Encoding enc = val.size() <= Value::kEmbStrMax ? Encoding::kEmbStr : Encoding::kRaw;
    ctx.AddNewKey(key, Value::FromBytes(val, enc));  // a replica may hide an expired one
  }
  ctx.reply().Ok();
}

void DebugProtocol(CommandContext& ctx) {
  ReplyBuilder& r = ctx.reply();
  std::string_view name = ctx.arg(2);
  if (EqualsIgnoreCase(name, "string")) {
    r.Bulk("Hello World");
  } else if (EqualsIgnoreCase(name, "integer")) {
    r.Integer(12345);
  } else if (EqualsIgnoreCase(name, "double")) {
    r.Double(3.141);
  } else if (EqualsIgnoreCase(name, "bignum")) {
    if (r.resp3()) {
      r.Raw("(1234567999999999999999999999999999999\r\n");
    } else {
      r.Bulk("1234567999999999999999999999999999999");
    }
  } else if (EqualsIgnoreCase(name, "null")) {
    r.Null();
  } else if (EqualsIgnoreCase(name, "array")) {
    r.ArrayLen(3);
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (EqualsIgnoreCase(name, "set")) {
    r.SetLen(3);
    for (int j = 0; j < 3; ++j) r.Integer(j);
  } else if (EqualsIgnoreCase(name, "map")) {
    r.MapLen(3);
    for (int j = 0; j < 3; ++j) {
      r.Integer(j);
      r.Bool(j == 1);
    }
  } else if (EqualsIgnoreCase(name, "attrib")) {
    if (r.resp3()) {
      r.Raw("|1\r\n");
      r.Bulk("key-popularity");
      r.ArrayLen(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    r.Bulk("Some real reply following the attribute");
  } else if (EqualsIgnoreCase(name, "push")) {
    if (!r.resp3()) return r.Error("ERR RESP2 is not supported by this command");
    r.PushLen(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    r.Bulk("Some real reply following the push reply");
  } else if (EqualsIgnoreCase(name, "true")) {
    r.Bool(true);
  } else if (EqualsIgnoreCase(name, "false")) {
    r.Bool(false);
  } else if (EqualsIgnoreCase(name, "verbatim")) {
    r.Verbatim("This is a verbatim\nstring");
  } else {
    r.Error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the data set and load the file back.
void DebugReload(CommandContext& ctx) {
  bool flush = true, save = true, merge = false;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "merge")) {
      merge = true;
    } else if (EqualsIgnoreCase(ctx.arg(j), "noflush")) {
      flush = false;
    } else if (EqualsIgnoreCase(ctx.arg(j), "nosave")) {
      save = false;
    } else {
      return ctx.reply().Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
    }
  }
  Server& server = ServerOf(ctx);
  if (save && !server.snapshots().SaveInForeground()) return ctx.reply().Error("ERR");
  if (flush) {
    server.keyspace().FlushAll();
    server.SignalDataSetReplaced();
  }
  std::string err;
  // Not serving other clients meanwhile: this client's command is still executing.
  if (!server.snapshots().LoadFile(server.config().dbfilename, /*serve_clients=*/false, merge,
                                   &err)) {
    EMBER_LOG_WARNING("Error loading the RDB dump for DEBUG RELOAD: {}", err);
    return ctx.reply().Error("ERR Error trying to load the RDB dump, check server logs.");
  }
  EMBER_LOG_WARNING("DB reloaded by DEBUG RELOAD");
  ctx.reply().Ok();
}

// DEBUG LOADAOF: empty the data set and load the AOF back (Redis exits if that fails).
void DebugLoadAof(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  server.keyspace().FlushAll();
  server.watched_keys().TouchAll();
  if (!server.aof().LoadForDebug()) _exit(1);
  server.keyspace().dirty = 0;
  ctx.reply().Ok();
}

void CmdDebug(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  size_t argc = ctx.argc();
  auto is = [&](std::string_view name) { return EqualsIgnoreCase(sub, name); };
  if (argc == 2 && is("help")) return DebugHelp(ctx);
  if (argc == 3 && is("sleep")) {
    double secs = std::strtod(std::string(ctx.arg(2)).c_str(), nullptr);
    auto us = static_cast<int64_t>(secs * 1000000);
    if (us > 0) {
      timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>((us % 1000000) * 1000)};
      nanosleep(&ts, nullptr);
    }
    return ctx.reply().Ok();
  }
  if (argc == 3 && is("set-active-expire")) {
    ServerOf(ctx).config().active_expire_enabled = std::atoi(std::string(ctx.arg(2)).c_str()) != 0;
    return ctx.reply().Ok();
  }
  if (argc == 3 && is("object")) return DebugObject(ctx);
  if (argc >= 3 && argc <= 5 && is("populate")) return DebugPopulate(ctx);
  if (argc == 2 && is("digest")) {
    return ctx.reply().SimpleString(DatasetDigest(ctx.keyspace()));
  }
  if (argc >= 2 && is("digest-value")) {
    ctx.reply().ArrayLen(argc - 2);
    for (size_t j = 2; j < argc; ++j) {
      Digest d{};
      // A raw lookup: logically expired keys still have a digest.
      if (const KeyEntry* e = ctx.db().FindRaw(ctx.arg(j))) ObjectDigest(d, e);
      ctx.reply().SimpleString(Sha1::Hex(d));
    }
    return;
  }
  if (argc == 3 && is("protocol")) return DebugProtocol(ctx);
  if (is("reload")) return DebugReload(ctx);
  if (argc == 2 && is("loadaof")) return DebugLoadAof(ctx);
  if (argc == 2 && is("change-repl-id")) {
    EMBER_LOG_WARNING("Changing replication IDs after receiving DEBUG change-repl-id");
    ServerOf(ctx).replication().ChangeReplId();
    return ctx.reply().Ok();
  }
  if (argc == 3 && is("log")) {
    EMBER_LOG_WARNING("DEBUG LOG: {}", ctx.arg(2));
    return ctx.reply().Ok();
  }
  if (argc == 3 && is("error")) {
    // Sent as is, without an error code added (Redis's addReplyErrorSds).
    return ctx.reply().Error(ctx.arg(2));
  }
  ReplySubcommandSyntaxError(ctx);
}

}  // namespace

void RegisterDebugFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("debug", -2, kAdmin | kNoScript | kLoading | kStale | kProtected, kNoKeys,
                        CmdDebug, "server", 0, "A container for debugging commands", "1.0.0"));
}

}  // namespace ember
