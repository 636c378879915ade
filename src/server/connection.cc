#include "server/connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "server/server.h"

namespace ember {

namespace {
constexpr size_t kReadChunk = 16 * 1024;
// Replies larger than this are written right away instead of at the end of the iteration.
constexpr size_t kEagerFlushBytes = 64 * 1024;
}  // namespace

Connection::Connection(Server* server, int fd, std::string peer_addr, std::string local_addr,
                       bool unix_socket)
    : server_(server),
      fd_(fd),
      peer_addr_(std::move(peer_addr)),
      local_addr_(std::move(local_addr)),
      unix_socket_(unix_socket) {
  created_ms = WallClockMs();
  last_interaction_ms = created_ms;
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

void Connection::OnIoEvent(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) HandleReadable();
  if (!closed_ && (events & EPOLLOUT)) FlushOutput();
}

void Connection::HandleReadable() {
  // Compact consumed bytes before reading more, so the buffer does not grow without bound.
  if (in_pos_ > 0 && (in_pos_ == in_.size() || in_pos_ > in_.size() / 2)) {
    in_.ConsumeFront(in_pos_);
    in_pos_ = 0;
  }
  char* dest = in_.Prepare(std::max(kReadChunk, parser_.pending_bulk_bytes()));
  // As much as the buffer holds (as Redis 7): once a pipelining client's batch has outgrown one
  // chunk, the buffer has grown with it and the whole batch comes in one read(2).
  const size_t want = in_.capacity() - in_.size();
  ssize_t n;
  do {
    n = read(fd_, dest, want);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      EMBER_LOG_VERBOSE("Client closed connection id={} addr={}", id, peer_addr_);
      Close();
    }
    return;
  }
  in_.Commit(static_cast<size_t>(n));
  if (is_master_link) server_->replication().OnMasterBytesRead(static_cast<size_t>(n));
  total_net_input += static_cast<uint64_t>(n);
  server_->stats().total_net_input_bytes += static_cast<uint64_t>(n);
  ++server_->stats().total_reads_processed;
  const int64_t now_us = FastMonotonicUs();
  last_interaction_ms = server_->WallMsAt(now_us);

  if (static_cast<int64_t>(in_.size() - in_pos_) > server_->config().client_query_buffer_limit) {
    EMBER_LOG_WARNING(
        "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: "
        "{})",
        id, peer_addr_, in_.view().substr(in_pos_, 64));
    ++server_->stats().client_query_buffer_limit_disconnections;
    Close();
    return;
  }
  ProcessInput(now_us);
}

void Connection::ProcessInput(int64_t clock_us) {
  if (processing_) return;
  processing_ = true;
  server_->BeginCommandBatch(clock_us ? clock_us : FastMonotonicUs());
  parser_.set_max_bulk_len(server_->config().proto_max_bulk_len);
  while (!closed_ && !close_after_reply && !paused_ && !blocked_ && in_pos_ < in_.size()) {
    // Before AUTH (the default user has a password) large counts are refused.
    parser_.set_unauthenticated(!authenticated);
    size_t consumed = 0;
    auto status = parser_.Parse(in_.view().substr(in_pos_), &consumed);
    if (status == RequestParser::Status::kNeedMore) break;
    if (status == RequestParser::Status::kProtocolError) {
      if (is_master_link) {
        // Never a reply to our master; the link is dropped and its stream not trusted.
        server_->replication().OnMasterProtocolError(parser_.error());
        Close();
        break;
      }
      EMBER_LOG_VERBOSE("Protocol error ({}) from client: id={} addr={}", parser_.error(), id,
                        peer_addr_);
      ReplyAndClose(parser_.error());
      break;
    }
    if (status == RequestParser::Status::kRequest) {
      server_->Dispatch(*this, parser_.args());
      // A paused client keeps the request in the buffer; it is parsed again on unpause.
      if (paused_) break;
      ++commands_processed;
      if (is_master_link) server_->OnMasterCommandApplied(in_.view().substr(in_pos_, consumed));
    }
    in_pos_ += consumed;
    if (output_bytes() > kEagerFlushBytes) {
      if (!FlushOutput()) break;
      server_->BeginCommandBatch(FastMonotonicUs());  // the write is no command's time
    }
  }
  server_->EndCommandBatch();
  processing_ = false;
  if (!closed_ && has_pending_output()) server_->MarkPendingWrite(this);
  if (in_pos_ == in_.size()) {
    in_.Clear();
    in_pos_ = 0;
    // Give back a large buffer once it is drained (a big value passed through).
    in_.ShrinkIfLarger(1024 * 1024);
  }
}

void Connection::InjectInput(std::string_view data) {
  std::memcpy(in_.Prepare(data.size()), data.data(), data.size());
  in_.Commit(data.size());
  ProcessInput();
}

void Connection::QueueWrite() { server_->MarkPendingWrite(this); }

void Connection::Unblock() {
  blocked_ = false;
  server_->MarkPendingWrite(this);
  server_->loop().Defer([this, cid = id, srv = server_] {
    if (srv->FindClient(cid) == this) ProcessInput();
  });
}

bool Connection::FlushOutput() {
  if (closed_) return false;
  // Nothing is acknowledged before it is in the AOF (an eager flush comes before BeforeSleep).
  server_->aof().FlushBeforeReplies();
  // A refill (snapshot chunks for a replica) can make the buffer non-empty again.
  for (;;) {
    if (!WriteOut()) return false;
    if (out_pos_ < out_.size() || !output_refill_) break;
    out_.clear();
    out_pos_ = 0;
    if (!output_refill_() || closed_) break;
  }
  if (closed_) return false;
  return AfterWrite();
}

bool Connection::WriteOut() {
  while (out_pos_ < out_.size()) {
    ssize_t n = write(fd_, out_.data() + out_pos_, out_.size() - out_pos_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      EMBER_LOG_VERBOSE("Error writing to client: {}", strerror(errno));
      Close();
      return false;
    }
    out_pos_ += static_cast<size_t>(n);
    total_net_output += static_cast<uint64_t>(n);
    server_->stats().total_net_output_bytes += static_cast<uint64_t>(n);
    ++server_->stats().total_writes_processed;
  }
  return true;
}

bool Connection::AfterWrite() {
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
    if (out_.capacity() > 1024 * 1024) out_.shrink_to_fit();
    if (write_armed_) {
      server_->loop().Modify(fd_, EPOLLIN, this);
      write_armed_ = false;
    }
    if (close_after_reply) {
      Close();
      return false;
    }
  } else {
    if (out_pos_ > out_.size() / 2) {
      out_.erase(0, out_pos_);
      out_pos_ = 0;
    }
    if (!write_armed_) {
      server_->loop().Modify(fd_, EPOLLIN | EPOLLOUT, this);
      write_armed_ = true;
    }
  }
  return true;
}

void Connection::ReplyAndClose(std::string_view error) {
  reply_.set_muted(false);
  reply_.Error(error);
  close_after_reply = true;
  server_->MarkPendingWrite(this);
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  server_->ScheduleClose(this);
}

}  // namespace ember
