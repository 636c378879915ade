#include "server/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <netdb.h>

#include <cerrno>
#include <cstring>

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

int OpenTcpListenSocket(const std::string& addr_spec, int64_t port, int backlog, bool* skipped,
                        std::string* error) {
  *skipped = false;
  std::string addr = addr_spec;
  const bool optional = !addr.empty() && addr[0] == '-';
  if (optional) addr.erase(0, 1);
  const bool ipv6 = addr.find(':') != std::string::npos;
  addrinfo hints{};
  hints.ai_family = ipv6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  const char* host = (addr == "*" || addr == "::*") ? nullptr : addr.c_str();
  const std::string shown = host ? addr : std::string(ipv6 ? "::" : "*");
  const std::string port_text = std::to_string(port);
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host, port_text.c_str(), &hints, &res);
  if (rc != 0) {
    *skipped = optional;
    *error = addr + ":" + port_text + ": " + gai_strerror(rc);
    return -1;
  }
  int err = 0;
  int fd = -1;
  for (addrinfo* p = res; p && fd < 0; p = p->ai_next) {
    fd = socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (p->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, p->ai_addr, p->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd >= 0) return fd;
  *skipped = optional && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT || err == EPROTONOSUPPORT);
  *error = shown + ":" + port_text + ": " + strerror(err);
  return -1;
}

}  // namespace ember
