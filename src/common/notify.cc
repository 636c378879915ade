#include "common/notify.h"

namespace ember {

int KeyspaceEventsStringToFlags(std::string_view classes) {
  int flags = 0;
  for (char c : classes) {
    switch (c) {
      case 'A': flags |= notify::kAll; break;
      case 'g': flags |= notify::kGeneric; break;
      case '$': flags |= notify::kString; break;
      case 'l': flags |= notify::kList; break;
      case 's': flags |= notify::kSet; break;
      case 'h': flags |= notify::kHash; break;
      case 'z': flags |= notify::kZset; break;
      case 'x': flags |= notify::kExpired; break;
      case 'e': flags |= notify::kEvicted; break;
      case 'K': flags |= notify::kKeyspace; break;
      case 'E': flags |= notify::kKeyevent; break;
      case 't': flags |= notify::kStream; break;
      case 'm': flags |= notify::kKeyMiss; break;
      case 'd': flags |= notify::kModule; break;
      case 'n': flags |= notify::kNew; break;
      default: return -1;
    }
  }
  return flags;
}

std::string KeyspaceEventsFlagsToString(int flags) {
  std::string res;
  if ((flags & notify::kAll) == notify::kAll) {
    res += 'A';
  } else {
    if (flags & notify::kGeneric) res += 'g';
    if (flags & notify::kString) res += '$';
    if (flags & notify::kList) res += 'l';
    if (flags & notify::kSet) res += 's';
    if (flags & notify::kHash) res += 'h';
    if (flags & notify::kZset) res += 'z';
    if (flags & notify::kExpired) res += 'x';
    if (flags & notify::kEvicted) res += 'e';
    if (flags & notify::kStream) res += 't';
    if (flags & notify::kModule) res += 'd';
    // As Redis 7.0: n is only shown without A ("KEAn" reads back "AKE" but keeps n).
    if (flags & notify::kNew) res += 'n';
  }
  if (flags & notify::kKeyspace) res += 'K';
  if (flags & notify::kKeyevent) res += 'E';
  if (flags & notify::kKeyMiss) res += 'm';
  return res;
}

}  // namespace ember
