// Keyspace notifications, as Redis's notify.c: an event for a key is published on
// __keyspace@<db>__:<key> (message: the event) and on __keyevent@<db>__:<event> (message: the
// key), each when its class (K, E) is enabled.
#include <string>

#include "server/server.h"

namespace ember {

void Server::ApplyKeyspaceEvents() {
  keyspace_events_ = config_.notify_keyspace_events_flags;
  // "new" is reported from the keyspace itself (Redis's dbAdd); nothing to call when off.
  if (keyspace_events_ & notify::kNew) {
    keyspace_->set_new_key_listener([this](int db_index, std::string_view key) {
      // Keys loaded from a snapshot are not "new" (Redis's dbAddRDBLoad reports nothing).
      if (!snapshots_.loading()) NotifyKeyspaceEvent(notify::kNew, "new", key, db_index);
    });
  } else {
    keyspace_->set_new_key_listener({});
  }
}

void Server::NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key,
                                 int db) {
  if (!(keyspace_events_ & type)) return;
  const std::string db_str = std::to_string(db);
  std::string channel;
  if (keyspace_events_ & notify::kKeyspace) {
    channel.reserve(16 + db_str.size() + key.size());
    channel.append("__keyspace@").append(db_str).append("__:").append(key);
    Publish(channel, event);
  }
  if (keyspace_events_ & notify::kKeyevent) {
    channel.clear();
    channel.append("__keyevent@").append(db_str).append("__:").append(event);
    Publish(channel, key);
  }
}

}  // namespace ember
