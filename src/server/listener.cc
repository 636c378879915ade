#include "server/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"
#include "server/server.h"

namespace ember {

Listener::~Listener() {
  if (fd_ >= 0) close(fd_);
}

int Listener::port() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

std::string FormatSockAddr(const void* addr) {
  const auto* sa = static_cast<const sockaddr*>(addr);
  char ip[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = static_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = static_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
    // IPv6 addresses are bracketed, as Redis's anetFormatAddr does.
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "";
}

bool IsLoopbackPeer(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr.rfind("[::1]:", 0) == 0 ||
         addr.rfind("[::ffff:127.", 0) == 0;
}

void Listener::OnIoEvent(uint32_t /*events*/) {
  // Accept a bounded batch per event so one listener cannot starve the loop (Redis: 1000).
  for (int i = 0; i < 1000; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        EMBER_LOG_WARNING("Accepting client connection: {}", strerror(errno));
      }
      return;
    }
    std::string peer, local;
    if (unix_socket_) {
      peer = "/unixsocket";
      local = description_;
    } else {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      peer = FormatSockAddr(&ss);
      sockaddr_storage ls{};
      socklen_t llen = sizeof(ls);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&ls), &llen) == 0) local = FormatSockAddr(&ls);
      int64_t keepalive = server_->config().tcp_keepalive;
      if (keepalive > 0) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        int idle = static_cast<int>(keepalive);
        int intvl = std::max(1, idle / 3);
        int cnt = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
      }
    }
    server_->OnAccept(fd, peer, local, unix_socket_);
  }
}

}  // namespace ember
