#include "server/transactions.h"

#include <algorithm>

namespace ember {

void WatchedKeys::Watch(uint64_t client, int db, std::string_view key, bool expired) {
  ClientWatches& mine = by_client_[client];
  KeyRef ref{db, std::string(key)};
  for (const WatchedKey& w : mine.keys) {
    if (w.ref == ref) return;
  }
  by_key_[ref].push_back(client);
  mine.keys.push_back({std::move(ref), expired});
}

void WatchedKeys::UnwatchAll(uint64_t client) {
  auto it = by_client_.find(client);
  if (it == by_client_.end()) return;
  for (const WatchedKey& w : it->second.keys) {
    auto k = by_key_.find(w.ref);
    if (k == by_key_.end()) continue;
    std::erase(k->second, client);
    if (k->second.empty()) by_key_.erase(k);
  }
  by_client_.erase(it);
}

void WatchedKeys::TouchWatchers(const KeyRef& ref, bool exists) {
  auto k = by_key_.find(ref);
  if (k == by_key_.end()) return;
  for (uint64_t client : k->second) {
    ClientWatches& mine = by_client_[client];
    for (WatchedKey& w : mine.keys) {
      if (!(w.ref == ref)) continue;
      // Watched while already expired, and now deleted: logically nothing changed.
      if (w.expired && !exists) {
        w.expired = false;
      } else {
        mine.dirty = true;
      }
      break;
    }
  }
}

void WatchedKeys::Touch(int db, std::string_view key, bool exists) {
  if (by_key_.empty()) return;
  TouchWatchers(KeyRef{db, std::string(key)}, exists);
}

void WatchedKeys::TouchDb(int db, const std::function<bool(std::string_view key)>& existed) {
  for (auto& [ref, clients] : by_key_) {
    if (ref.db != db || !existed(ref.key)) continue;
    for (uint64_t client : clients) by_client_[client].dirty = true;
  }
}

bool WatchedKeys::dirty(uint64_t client) const {
  auto it = by_client_.find(client);
  return it != by_client_.end() && it->second.dirty;
}

size_t WatchedKeys::watched_by(uint64_t client) const {
  auto it = by_client_.find(client);
  return it == by_client_.end() ? 0 : it->second.keys.size();
}

bool WatchedKeys::AnyExpiredSince(
    uint64_t client, const std::function<bool(int db, std::string_view key)>& expired_now) const {
  auto it = by_client_.find(client);
  if (it == by_client_.end()) return false;
  return std::any_of(it->second.keys.begin(), it->second.keys.end(), [&](const WatchedKey& w) {
    return !w.expired && expired_now(w.ref.db, w.ref.key);
  });
}

}  // namespace ember
