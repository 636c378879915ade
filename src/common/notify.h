// Keyspace notification classes (notify-keyspace-events), as Redis's notify.c: one bit per class,
// so a command can test whether anyone wants its event with a single AND before building any
// channel name.
#pragma once

#include <string>
#include <string_view>

namespace ember {

namespace notify {
enum : int {
  kKeyspace = 1 << 0,   // K: __keyspace@<db>__:<key>
  kKeyevent = 1 << 1,   // E: __keyevent@<db>__:<event>
  kGeneric = 1 << 2,    // g: DEL, EXPIRE, RENAME, ...
  kString = 1 << 3,     // $
  kList = 1 << 4,       // l
  kSet = 1 << 5,        // s
  kHash = 1 << 6,       // h
  kZset = 1 << 7,       // z
  kExpired = 1 << 8,    // x
  kEvicted = 1 << 9,    // e
  kStream = 1 << 10,    // t
  kKeyMiss = 1 << 11,   // m (excluded from A)
  kLoaded = 1 << 12,    // module only, no class character
  kModule = 1 << 13,    // d
  kNew = 1 << 14,       // n (excluded from A)
  kAll = kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream |
         kModule,
};
}  // namespace notify

// "KEA" -> bitmask; -1 when a character is not a class.
int KeyspaceEventsStringToFlags(std::string_view classes);
// Bitmask -> the canonical string CONFIG GET shows ("AKE").
std::string KeyspaceEventsFlagsToString(int flags);

}  // namespace ember
