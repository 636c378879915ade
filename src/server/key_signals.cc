// What hears of changes to keys: WATCH (transactions.h) and client tracking (tracking.h). Every
// write command's written keys, FLUSHDB/FLUSHALL/SWAPDB, expiry, eviction and a replaced data set
// (full sync, DEBUG RELOAD) come through here.
#include "common/strings.h"
#include "server/command_meta.h"
#include "server/server.h"

namespace ember {

void Server::SignalModifiedKey(int db, std::string_view key, bool exists, uint64_t origin) {
  watched_keys_.Touch(db, key, exists);
  if (tracking_.clients() > 0) tracking_.InvalidateKey(key, origin);
}

void Server::SignalDataSetReplaced() {
  watched_keys_.TouchAll();
  tracking_.InvalidateAll(0);
}

void Server::SignalWrittenKeys(const Connection& conn, const CommandSpec& spec,
                               std::span<const std::string_view> args, int db_index) {
  Database& db = keyspace_->db(db_index);
  auto touch = [&](Database& in, std::string_view key) {
    SignalModifiedKey(in.index(), key, in.FindRaw(key) != nullptr, conn.id);
  };
  for (const KeyRef& k : ExtractKeys(spec, args)) {
    // Keys a command only reads (SINTERSTORE's sources, COPY's source) are not changed by it.
    if (std::string_view(k.flags).starts_with("RO")) continue;
    touch(db, args[static_cast<size_t>(k.index)]);
  }
  // MOVE and COPY ... DB n also change the key in the other database.
  int64_t other = -1;
  if (spec.name == "move" && args.size() == 3) {
    ParseInt64(args[2], &other);
  } else if (spec.name == "copy") {
    for (size_t i = 3; i + 1 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "db")) ParseInt64(args[i + 1], &other);
    }
  }
  if (other >= 0 && other < keyspace_->num_dbs() && other != db_index) {
    touch(keyspace_->db(static_cast<int>(other)), args[spec.name == "move" ? 1 : 2]);
  }
}

void Server::SignalFlush(const Connection& conn, const CommandSpec& spec,
                         std::span<const std::string_view> args) {
  auto exists_in = [this](int db) {
    return [this, db](std::string_view key) { return keyspace_->db(db).FindRaw(key) != nullptr; };
  };
  if (spec.name == "flushdb" || spec.name == "flushall") tracking_.InvalidateAll(conn.id);
  if (spec.name == "flushdb") {
    watched_keys_.TouchDb(conn.db_index, exists_in(conn.db_index));
  } else if (spec.name == "flushall") {
    for (int db = 0; db < keyspace_->num_dbs(); ++db) watched_keys_.TouchDb(db, exists_in(db));
  } else if (spec.name == "swapdb" && args.size() == 3) {
    // A key watched in either database changes if it is in either of them.
    int64_t a, b;
    if (!ParseInt64(args[1], &a) || !ParseInt64(args[2], &b) || a < 0 || b < 0 ||
        a >= keyspace_->num_dbs() || b >= keyspace_->num_dbs() || a == b) {
      return;
    }
    const int da = static_cast<int>(a), db = static_cast<int>(b);
    auto in_either = [&](std::string_view key) { return exists_in(da)(key) || exists_in(db)(key); };
    watched_keys_.TouchDb(da, in_either);
    watched_keys_.TouchDb(db, in_either);
  }
}

}  // namespace ember
