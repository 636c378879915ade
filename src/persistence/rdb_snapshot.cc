#include "persistence/rdb_snapshot.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "common/endian.h"
#include "common/version.h"
#include "persistence/rdb_format.h"

namespace ember {

namespace {

// rdb-key-save-delay as Redis's debugDelay: N > 0 sleeps N microseconds after every key; N < 0
// sleeps one microsecond after every -N keys (usleep's granularity makes 1 us per key slow).
void DelayAfterKey(int64_t delay_us, uint64_t* keys) {
  ++*keys;
  if (delay_us > 0) {
    ::usleep(static_cast<useconds_t>(delay_us));
  } else if (delay_us < 0 && *keys % static_cast<uint64_t>(-delay_us) == 0) {
    ::usleep(1);
  }
}

}  // namespace

bool SaveSnapshot(RdbWriter& w, Keyspace& ks, const SnapshotSaveInfo& info) {
  uint64_t keys_saved = 0;
  w.SaveHeader();
  w.SaveAux("redis-ver", kRedisCompatVersion);
  w.SaveAuxInt("redis-bits", sizeof(void*) * 8);
  w.SaveAuxInt("ctime", static_cast<int64_t>(std::time(nullptr)));
  w.SaveAuxInt("used-mem", info.used_mem);
  if (!info.repl_id.empty()) {
    w.SaveAuxInt("repl-stream-db", info.repl_stream_db);
    w.SaveAux("repl-id", info.repl_id);
    w.SaveAuxInt("repl-offset", info.repl_offset);
  }
  w.SaveAuxInt("aof-base", info.aof_base ? 1 : 0);
  if (info.functions) {
    for (const std::string& code : *info.functions) w.SaveFunction(code);
  }
  for (int i = 0; i < ks.num_dbs() && w.ok(); i++) {
    Database& db = ks.db(i);
    if (db.size() == 0) continue;
    w.SaveSelectDb(i);
    w.SaveResizeDb(db.size(), db.expires_count());
    db.ForEach([&](KeyEntry* e) {
      if (!w.ok()) return;
      int64_t when = e->has_expire ? db.GetExpire(e) : -1;
      if (when != -1) w.SaveExpireMs(when);
      if (info.save_idle) w.SaveIdle(static_cast<uint64_t>(IdleTimeMs(e) / 1000));
      if (info.save_freq) w.SaveFreq(LfuCounter(e));
      w.SaveKeyValue(e->key(), e->value);
      DelayAfterKey(info.key_save_delay_us, &keys_saved);
    });
  }
  return w.SaveEof();
}

const std::string* SnapshotLoadInfo::Aux(std::string_view key) const {
  for (const auto& [k, v] : aux) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

// Per-key attributes that precede the type byte.
struct PendingKey {
  int64_t expire_ms = -1;
  int64_t idle_s = -1;
  int freq = -1;
};

bool LoadKey(RdbReader& r, uint8_t type, Database& db, const PendingKey& pk,
             const SnapshotLoadOptions& opts, SnapshotLoadInfo* info) {
  std::string key;
  if (!r.ReadString(&key)) return false;
  Value value;
  if (!r.ReadObject(type, &value)) return false;
  if (opts.drop_expired && pk.expire_ms != -1 && pk.expire_ms < opts.now_ms) {
    info->keys_expired++;
    return true;
  }
  if (db.FindRaw(key) != nullptr) {
    if (!opts.allow_duplicates) {
      return r.Fail("RDB has duplicated key '" + key + "' in DB " + std::to_string(db.index()));
    }
    db.Delete(key);
  }
  KeyEntry* e = db.Insert(key, std::move(value));
  if (pk.expire_ms != -1) db.SetExpire(e, pk.expire_ms);
  SetAccessData(e, pk.idle_s, pk.freq);
  info->keys_loaded++;
  return true;
}

}  // namespace

bool LoadSnapshot(RdbReader& r, Keyspace& ks, const SnapshotLoadOptions& opts,
                  SnapshotLoadInfo* info) {
  if (!r.ReadHeader(&info->version)) return false;
  Database* db = &ks.db(0);
  PendingKey pk;
  uint64_t keys_read = 0;
  uint64_t next_progress = opts.progress_interval;
  for (;;) {
    if (opts.progress && r.offset() >= next_progress) {
      opts.progress(r.offset());
      next_progress = r.offset() + opts.progress_interval;
    }
    uint8_t op;
    if (!r.ReadByte(&op)) return false;
    switch (op) {
      case rdb::kOpExpireTime: {
        int32_t s;
        if (!r.ReadSeconds(&s)) return false;
        pk.expire_ms = static_cast<int64_t>(s) * 1000;
        continue;
      }
      case rdb::kOpExpireTimeMs:
        if (!r.ReadMillis(&pk.expire_ms)) return false;
        continue;
      case rdb::kOpIdle: {
        uint64_t idle;
        if (!r.ReadLen(&idle)) return false;
        pk.idle_s = static_cast<int64_t>(std::min<uint64_t>(idle, INT64_MAX));
        continue;
      }
      case rdb::kOpFreq: {
        uint8_t freq;
        if (!r.ReadByte(&freq)) return false;
        pk.freq = freq;
        continue;
      }
      case rdb::kOpSelectDb: {
        uint64_t n;
        if (!r.ReadLen(&n)) return false;
        if (n >= static_cast<uint64_t>(ks.num_dbs())) {
          return r.Fail("FATAL: Data file was created with a Redis server configured to handle "
                        "more than " + std::to_string(ks.num_dbs()) + " databases. Exiting");
        }
        db = &ks.db(static_cast<int>(n));
        continue;
      }
      case rdb::kOpResizeDb: {
        uint64_t db_size, expires_size;
        if (!r.ReadLen(&db_size) || !r.ReadLen(&expires_size)) return false;
        continue;
      }
      case rdb::kOpAux: {
        std::string k, v;
        if (!r.ReadString(&k) || !r.ReadString(&v)) return false;
        info->aux.emplace_back(std::move(k), std::move(v));
        continue;
      }
      case rdb::kOpModuleAux:
        return r.RejectModuleValue();
      case rdb::kOpFunctionPreGA:
        return r.Fail("Pre-release function format not supported.");
      case rdb::kOpFunction2: {
        std::string code;
        if (!r.ReadString(&code)) return false;
        info->functions.push_back(std::move(code));
        continue;
      }
      case rdb::kOpEof: {
        if (info->version < 5) return true;  // no checksum before version 5
        const uint64_t computed = r.crc();
        unsigned char b[8];
        if (!r.ReadRaw(b, 8)) return false;
        const uint64_t stored = LoadLE64(b);
        // A zero checksum means the writer had rdbchecksum off.
        if (opts.verify_checksum && stored != 0 && stored != computed) {
          char msg[128];
          std::snprintf(msg, sizeof(msg),
                        "Wrong RDB checksum expected: (%llx) got: (%llx). Aborting now.",
                        static_cast<unsigned long long>(computed),
                        static_cast<unsigned long long>(stored));
          return r.Fail(msg);
        }
        return true;
      }
      default:
        if (!LoadKey(r, op, *db, pk, opts, info)) return false;
        pk = PendingKey{};
        if (opts.key_delay_us != 0) {
          DelayAfterKey(opts.key_delay_us, &keys_read);
          // A slowed load still answers clients (-LOADING) between keys.
          if (opts.progress) opts.progress(r.offset());
        }
        continue;
    }
  }
}

}  // namespace ember
