#include "server/blocked_clients.h"

#include <algorithm>

namespace ember {

std::string BlockedClients::SlotKey(int db, std::string_view key) {
  std::string s = std::to_string(db);
  s.push_back(':');
  s.append(key);
  return s;
}

const BlockedClients::Entry* BlockedClients::Find(uint64_t client_id) const {
  auto it = by_client_.find(client_id);
  return it == by_client_.end() ? nullptr : &it->second;
}

void BlockedClients::Add(uint64_t client_id, Entry entry) {
  for (const std::string& key : entry.keys) {
    auto& queue = by_key_[SlotKey(entry.db, key)];
    // BLPOP k k waits once on k.
    if (std::find(queue.begin(), queue.end(), client_id) == queue.end()) {
      queue.push_back(client_id);
    }
  }
  if (entry.deadline_ms > 0) deadlines_.insert({entry.deadline_ms, client_id});
  by_client_.emplace(client_id, std::move(entry));
}

bool BlockedClients::Remove(uint64_t client_id) {
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return false;
  const Entry& entry = it->second;
  for (const std::string& key : entry.keys) {
    auto q = by_key_.find(SlotKey(entry.db, key));
    if (q == by_key_.end()) continue;
    std::erase(q->second, client_id);
    if (q->second.empty()) by_key_.erase(q);
  }
  if (entry.deadline_ms > 0) deadlines_.erase({entry.deadline_ms, client_id});
  by_client_.erase(it);
  return true;
}

void BlockedClients::SignalKeyAdded(int db, std::string_view key) {
  if (by_key_.empty()) return;
  std::string slot = SlotKey(db, key);
  if (!by_key_.contains(slot) || ready_set_.contains(slot)) return;
  ready_set_.insert(std::move(slot));
  ready_.emplace_back(db, std::string(key));
}

void BlockedClients::SignalDbsSwapped(int a, int b) {
  std::vector<std::pair<int, std::string>> keys;
  for (const auto& [id, entry] : by_client_) {
    if (entry.db != a && entry.db != b) continue;
    for (const std::string& key : entry.keys) keys.emplace_back(entry.db, key);
  }
  for (const auto& [db, key] : keys) SignalKeyAdded(db, key);
}

std::vector<std::pair<int, std::string>> BlockedClients::TakeReady() {
  ready_set_.clear();
  return std::exchange(ready_, {});
}

std::vector<uint64_t> BlockedClients::WaitingOn(int db, std::string_view key) const {
  auto it = by_key_.find(SlotKey(db, key));
  if (it == by_key_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<uint64_t> BlockedClients::TimedOut(int64_t now_ms) const {
  std::vector<uint64_t> out;
  for (const auto& [deadline, id] : deadlines_) {
    if (deadline > now_ms) break;
    out.push_back(id);
  }
  return out;
}

}  // namespace ember
