// Connection: one client socket. It reads as much as is available, parses every complete request
// in the buffer (pipelining), hands each to the server's dispatcher, and queues the replies in one
// output buffer that is written once per event-loop iteration (or when it grows large).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "commands/command.h"
#include "common/byte_buffer.h"
#include "protocol/reply_builder.h"
#include "protocol/request_parser.h"
#include "server/event_loop.h"
#include "server/transactions.h"

namespace ember {

class Server;

class Connection : public ClientState, public IoHandler {
 public:
  Connection(Server* server, int fd, std::string peer_addr, std::string local_addr, bool unix_socket);
  ~Connection() override;

  void OnIoEvent(uint32_t events) override;

  int fd() const { return fd_; }
  bool closed() const { return closed_; }
  ReplyBuilder& reply() { return reply_; }
  const std::string& peer_addr() const { return peer_addr_; }
  const std::string& local_addr() const { return local_addr_; }
  bool is_unix_socket() const { return unix_socket_; }

  // Writes as much of the output buffer as the socket takes; arms EPOLLOUT for the rest.
  // Returns false if the connection was closed.
  bool FlushOutput();
  bool has_pending_output() const { return out_.size() > out_pos_; }
  size_t output_bytes() const { return out_.size() - out_pos_; }
  size_t query_buffer_bytes() const { return in_.size() - in_pos_; }
  size_t query_buffer_capacity() const { return in_.capacity(); }
  size_t output_capacity() const { return out_.capacity(); }
  // Full name of the last command run ("client|list"), empty before the first.
  std::string_view last_command() const {
    return last_command_ ? std::string_view(last_command_->name) : std::string_view();
  }
  void set_last_command(const CommandSpec* spec) { last_command_ = spec; }
  // The top-level command this client last named by exactly `name`'s bytes, or null: a pipeline
  // usually repeats one command, and comparing bytes costs less than a case-blind table lookup.
  const CommandSpec* RecallCommand(std::string_view name) const {
    return name.size() == recalled_name_len_ && !name.empty() &&
                   std::memcmp(name.data(), recalled_name_, name.size()) == 0
               ? recalled_command_
               : nullptr;
  }
  void RememberCommand(std::string_view name, const CommandSpec* spec) {
    if (name.size() > sizeof(recalled_name_)) return;
    std::memcpy(recalled_name_, name.data(), name.size());
    recalled_name_len_ = static_cast<uint8_t>(name.size());
    recalled_command_ = spec;
  }

  // Writes a message that is not the reply to this client's command (a Pub/Sub message, an
  // invalidation) in the client's own protocol; it may run during another client's command.
  // CLIENT REPLY OFF silences it too, as in Redis 7.0.
  template <typename Fn>
  void Push(Fn&& write) {
    const bool resp3 = reply_.resp3(), muted = reply_.muted();
    reply_.set_resp3(resp == 3);
    reply_.set_muted(reply_mode == ReplyMode::kOff);
    write(reply_);
    reply_.set_resp3(resp3);
    reply_.set_muted(muted);
    QueueWrite();
  }

  // Sends an error and closes after it is written (protocol errors, maxclients).
  void ReplyAndClose(std::string_view error);
  // Immediately closes (CLIENT KILL, shutdown, limits).
  void Close();

  // A blocked or paused client stops processing input until resumed.
  void set_paused(bool v) { paused_ = v; }
  bool paused() const { return paused_; }
  // Runs the commands in the buffered input (also after CLIENT UNPAUSE); clock_us is the
  // monotonic time the input was read, if just read.
  void ProcessInput(int64_t clock_us = 0);
  // Input that arrived before this connection existed (the replication stream that followed a
  // handshake on the same socket).
  void InjectInput(std::string_view data);

  // A blocked client (WAIT) has its command consumed but gets its reply later; it reads no
  // further commands until unblocked.
  void Block() { blocked_ = true; }
  void Unblock();
  bool blocked() const { return blocked_; }

  // Called when the output buffer has been fully written; it may append more (a snapshot sent to
  // a replica in chunks) and returns whether it did.
  void set_output_refill(std::function<bool()> fn) { output_refill_ = std::move(fn); }

  // Set while the connection is queued in the server's pending-write list.
  bool pending_write = false;
  // Since when the output buffer has been above the soft limit (0: it is not).
  int64_t obuf_soft_limit_since_ms = 0;
  bool monitor = false;
  // Between MULTI and EXEC/DISCARD: the queued commands.
  std::unique_ptr<MultiState> multi;
  // The detached client a script's redis.call commands run on (never blocks).
  bool script_client = false;
  uint64_t total_net_input = 0;
  uint64_t total_net_output = 0;
  uint64_t commands_processed = 0;

 private:
  void HandleReadable();
  void QueueWrite();  // in the server's list of connections to flush
  // FlushOutput's parts: write what the socket takes; then tidy the buffer and (dis)arm EPOLLOUT.
  bool WriteOut();
  bool AfterWrite();

  Server* server_;
  int fd_;
  std::string peer_addr_;
  std::string local_addr_;
  bool unix_socket_;
  bool closed_ = false;
  bool paused_ = false;
  bool write_armed_ = false;
  bool processing_ = false;
  bool blocked_ = false;
  std::function<bool()> output_refill_;

  ByteBuffer in_;
  size_t in_pos_ = 0;
  RequestParser parser_;

  std::string out_;
  size_t out_pos_ = 0;
  ReplyBuilder reply_{&out_};
  const CommandSpec* last_command_ = nullptr;
  const CommandSpec* recalled_command_ = nullptr;
  char recalled_name_[23];
  uint8_t recalled_name_len_ = 0;
};

}  // namespace ember
