// Listening sockets (TCP on every bind address, optional Unix socket). Accepted sockets are made
// non-blocking with TCP_NODELAY and keepalive, then handed to the server.
#pragma once

#include <cstdint>
#include <string>

#include "server/event_loop.h"

namespace ember {

class Server;

class Listener : public IoHandler {
 public:
  Listener(Server* server, int fd, bool unix_socket, std::string description)
      : server_(server), fd_(fd), unix_socket_(unix_socket), description_(std::move(description)) {}
  ~Listener() override;
  void OnIoEvent(uint32_t events) override;
  int fd() const { return fd_; }
  const std::string& description() const { return description_; }
  int port() const;

 private:
  Server* server_;
  int fd_;
  bool unix_socket_;
  std::string description_;
};

// Opens a non-blocking listening TCP socket for one `bind` address ("*", "::*", an IP, or any of
// these after '-', which marks an address that may be unavailable, e.g. no IPv6). Returns the fd;
// -1 with *skipped set when an optional address is unavailable; -1 with *error set otherwise
// ("<addr>:<port>: <reason>").
int OpenTcpListenSocket(const std::string& addr_spec, int64_t port, int backlog, bool* skipped,
                        std::string* error);

// Address helpers: "ip:port", with IPv6 addresses bracketed ("[::1]:port") as in Redis.
std::string FormatSockAddr(const void* sockaddr);
bool IsLoopbackPeer(const std::string& addr);

}  // namespace ember
