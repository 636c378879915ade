// What hears of changes to keys: WATCH (transactions.h) and client tracking (tracking.h). Every
// write command's written keys, FLUSHDB/FLUSHALL/SWAPDB (through ServerServices::BeforeFlush and
// BeforeSwapDb), expiry, eviction and a replaced data set (full sync, DEBUG RELOAD) come here.
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
  tracking_.InvalidateAll();
  replica_own_expires_.Clear();  // their keys went with the old data set
}

namespace {

bool WrittenBy(const KeyRef& k) {
  // Keys a command only reads (SINTERSTORE's sources, COPY's source) are not changed by it.
  return !std::string_view(k.flags).starts_with("RO");
}

}  // namespace

std::vector<bool> Server::WrittenKeysPresent(const CommandSpec& spec,
                                             std::span<const std::string_view> args,
                                             int db_index) {
  std::vector<bool> present;
  Database& db = keyspace_->db(db_index);
  for (const KeyRef& k : ExtractKeys(spec, args)) {
    if (WrittenBy(k)) present.push_back(db.FindRaw(args[static_cast<size_t>(k.index)]) != nullptr);
  }
  return present;
}

void Server::SignalWrittenKeys(const Connection& conn, const CommandSpec& spec,
                               std::span<const std::string_view> args, int db_index,
                               const std::vector<std::vector<std::string>>& effects,
                               const std::vector<bool>& present_before) {
  Database& db = keyspace_->db(db_index);
  auto touch = [&](Database& in, std::string_view key, bool existed) {
    const bool exists = in.FindRaw(key) != nullptr;
    // Neither there before nor now: DEL of a missing key changed nothing.
    if (existed || exists) SignalModifiedKey(in.index(), key, exists, conn.id);
  };
  // The effects name commands by their real names: with one of those renamed away
  // (rename-command), fall back on the command's own keys.
  std::vector<std::pair<const CommandSpec*, std::vector<std::string_view>>> resolved;
  for (const std::vector<std::string>& effect : effects) {
    std::vector<std::string_view> effect_args(effect.begin(), effect.end());
    const CommandSpec* effect_spec = CommandTable::Global().Resolve(effect_args);
    if (!effect_spec) {
      resolved.clear();
      break;
    }
    resolved.emplace_back(effect_spec, std::move(effect_args));
  }
  if (!resolved.empty()) {
    std::string_view previous;  // SPOP k 100 is 100 SREMs of one key: signalled once
    for (const auto& [effect_spec, effect_args] : resolved) {
      for (const KeyRef& k : ExtractKeys(*effect_spec, effect_args)) {
        const std::string_view key = effect_args[static_cast<size_t>(k.index)];
        if (!WrittenBy(k) || key == previous) continue;
        touch(db, key, true);
        previous = key;
      }
    }
  } else {
    size_t i = 0;
    for (const KeyRef& k : ExtractKeys(spec, args)) {
      if (!WrittenBy(k)) continue;
      const bool existed = i >= present_before.size() || present_before[i];
      ++i;
      touch(db, args[static_cast<size_t>(k.index)], existed);
    }
  }
  // MOVE and COPY ... DB n also change the key in the other database (where it exists now).
  int64_t other = -1;
  if (spec.name == "move" && args.size() == 3) {
    ParseInt64(args[2], &other);
  } else if (spec.name == "copy") {
    for (size_t i = 3; i + 1 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "db")) ParseInt64(args[i + 1], &other);
    }
  }
  if (other >= 0 && other < keyspace_->num_dbs() && other != db_index) {
    touch(keyspace_->db(static_cast<int>(other)), args[spec.name == "move" ? 1 : 2], true);
  }
}

void Server::BeforeFlush(int db_index) {
  if (watched_keys_.empty() && tracking_.clients() == 0) return;
  tracking_.InvalidateAll();
  for (int db = 0; db < keyspace_->num_dbs(); ++db) {
    if (db_index >= 0 && db != db_index) continue;
    Database& in = keyspace_->db(db);
    watched_keys_.TouchDb(db, [&](std::string_view key) { return in.FindRaw(key) != nullptr; });
  }
}

void Server::BeforeSwapDb(int a, int b) {
  if (watched_keys_.empty() || a == b) return;
  // A key watched in either database changes if it is in either of them.
  Database& da = keyspace_->db(a);
  Database& db = keyspace_->db(b);
  auto in_either = [&](std::string_view key) { return da.FindRaw(key) || db.FindRaw(key); };
  watched_keys_.TouchDb(a, in_either);
  watched_keys_.TouchDb(b, in_either);
}

}  // namespace ember
