// A whole RDB snapshot: the aux fields, every database and the trailer, written from a Keyspace
// or loaded into one. Shared by SAVE/BGSAVE, start-up loading, DEBUG RELOAD and (later) full
// sync, so replication sends exactly what a file would hold.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "db/keyspace.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {

struct SnapshotSaveInfo {
  int64_t used_mem = 0;
  // Replication info (aux repl-stream-db/repl-id/repl-offset), written when repl_id is set.
  std::string repl_id;
  int64_t repl_offset = 0;
  int repl_stream_db = 0;
  bool aof_base = false;  // an AOF base file (aof-base aux field set to 1)
  bool save_idle = false;  // IDLE per key (an LRU maxmemory-policy)
  bool save_freq = false;  // FREQ per key (an LFU maxmemory-policy)
  // Libraries of FUNCTION LOAD, kept as code.
  const std::vector<std::string>* functions = nullptr;
  // rdb-key-save-delay: microseconds to sleep after each key, or (negative) one microsecond every
  // -N keys; tests slow a save down with it.
  int64_t key_save_delay_us = 0;
};

// Writes the whole snapshot. Returns false when the sink failed.
bool SaveSnapshot(RdbWriter& w, Keyspace& ks, const SnapshotSaveInfo& info);

struct SnapshotLoadOptions {
  int64_t now_ms = 0;
  bool drop_expired = true;  // a master does not load keys that are already expired
  bool verify_checksum = true;
  bool allow_duplicates = false;  // DEBUG RELOAD MERGE: a key already present is replaced
  // Called every `progress_interval` input bytes (the server answers -LOADING meanwhile).
  std::function<void(uint64_t offset)> progress;
  uint64_t progress_interval = 2 * 1024 * 1024;
  // key-load-delay: like rdb-key-save-delay, after each key loaded (tests observe -LOADING).
  int64_t key_delay_us = 0;
};

struct SnapshotLoadInfo {
  int version = 0;
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;
  std::vector<std::pair<std::string, std::string>> aux;
  std::vector<std::string> functions;

  // An aux field's value, or null.
  const std::string* Aux(std::string_view key) const;
};

// Loads a snapshot into `ks` (which should be empty). On failure reader.error() and
// reader.error_offset() say what and where; keys loaded so far stay in `ks`.
bool LoadSnapshot(RdbReader& r, Keyspace& ks, const SnapshotLoadOptions& opts,
                  SnapshotLoadInfo* info);

}  // namespace ember
