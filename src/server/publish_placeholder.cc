// TEMPORARY: a stand-in for Server::Publish until the pub/sub branch provides the real one. The
// pub/sub branch replaces this file; delete it at merge.
#include "server/server.h"

namespace ember {

int64_t Server::Publish(std::string_view channel, std::string_view message) {
  (void)channel, (void)message;
  return 0;
}

}  // namespace ember
