#include "db/keyspace.h"

namespace ember {

Keyspace::Keyspace(int num_dbs) {
  dbs_.reserve(static_cast<size_t>(num_dbs));
  for (int i = 0; i < num_dbs; ++i) dbs_.emplace_back(i);
  for (auto& db : dbs_) {
    db.set_expiry_listener(&expiry_listener_);
    db.set_key_added_listener(&key_added_listener_);
    db.set_new_key_listener(&new_key_listener_);
    db.set_expire_set_listener(&expire_set_listener_);
  }
}

void Keyspace::SwapContents(Keyspace& other) {
  for (size_t i = 0; i < dbs_.size(); ++i) dbs_[i].SwapContents(other.dbs_[i]);
}

void Keyspace::Swap(int a, int b) {
  if (a == b) return;
  dbs_[static_cast<size_t>(a)].SwapContents(dbs_[static_cast<size_t>(b)]);
  if (swap_listener_) swap_listener_(a, b);
}

void Keyspace::FlushAll(bool lazy) {
  for (auto& db : dbs_) {
    if (lazy) {
      db.ClearLazily();
    } else {
      db.Clear();
    }
  }
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& db : dbs_) n += db.size();
  return n;
}

void Keyspace::set_expiry_listener(Database::ExpiryListener listener) {
  expiry_listener_ = std::move(listener);
}

void Keyspace::set_key_added_listener(Database::KeyAddedListener listener) {
  key_added_listener_ = std::move(listener);
}

}  // namespace ember
