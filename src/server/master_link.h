// MasterLink: a replica's connection to its master until the stream starts: non-blocking
// connect, the handshake (PING, AUTH, REPLCONF listening-port/ip-address/capa, PSYNC), and for a
// full sync the snapshot transfer into a temp file (`$<len>` or diskless `$EOF:<mark>`). Then
// Replication turns the socket into the master client.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <unistd.h>

#include "server/event_loop.h"

namespace ember {

class Replication;
class Server;

class MasterLink : public IoHandler {
 public:
  enum class State { kConnecting, kHandshake, kTransfer };

  MasterLink(Replication& repl, Server& server, std::string host, int64_t port);
  ~MasterLink() override;
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  // Starts the non-blocking connect. False on immediate failure (logged).
  bool Start();
  void OnIoEvent(uint32_t events) override;

  State state() const { return state_; }
  // In a forked child: closes the socket without touching the (shared) epoll set.
  void CloseFdInChild() {
    if (fd_ >= 0) close(fd_);
    if (tmp_fd_ >= 0) close(tmp_fd_);
  }
  int64_t last_io_ms() const { return last_io_ms_; }
  int64_t transfer_size() const { return transfer_size_; }
  int64_t transfer_read() const { return transfer_read_; }

 private:
  enum class Step { kPong, kAuth, kPort, kIp, kCapa, kPsync, kBulkHeader, kBulk };

  void OnConnected();
  void Send(const std::vector<std::string>& argv);
  bool ReadLine(std::string* line);
  void Advance();
  bool HandleReply(const std::string& line);
  bool HandlePsyncReply(const std::string& line);
  bool ReceiveBulk();
  // repl-diskless-load swapdb/on-empty-db: parse the snapshot straight from the socket.
  void LoadFromSocket();
  bool WriteTemp(const char* data, size_t len);
  void FinishTransfer();
  // Logs and ends this attempt; Replication retries from its cron.
  void Fail(const std::string& why);

  Replication& repl_;
  Server& server_;
  std::string host_;
  int64_t port_;
  int fd_ = -1;
  State state_ = State::kConnecting;
  Step step_ = Step::kPong;
  std::string in_;
  int64_t last_io_ms_ = 0;
  bool failed_ = false;

  // Full sync.
  std::string master_replid_;
  int64_t master_offset_ = 0;
  std::string tmp_path_;
  int tmp_fd_ = -1;
  std::string eof_mark_;  // diskless transfer: the 40-byte end marker
  std::string tail_;      // diskless: the last bytes received, held back until known not to be the mark
  int64_t transfer_size_ = -1;
  int64_t transfer_read_ = 0;
};

}  // namespace ember
