#include "server/master_link.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "persistence/rdb_reader.h"
#include "protocol/reply_builder.h"
#include "server/replication.h"
#include "server/server.h"

namespace ember {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kEofMarkLen = 40;

}  // namespace

MasterLink::MasterLink(Replication& repl, Server& server, std::string host, int64_t port)
    : repl_(repl), server_(server), host_(std::move(host)), port_(port) {
  last_io_ms_ = WallClockMs();
}

MasterLink::~MasterLink() {
  if (fd_ >= 0) {
    server_.loop().Remove(fd_);
    close(fd_);
  }
  if (tmp_fd_ >= 0) close(tmp_fd_);
  if (!tmp_path_.empty()) unlink(tmp_path_.c_str());
}

bool MasterLink::Start() {
  EMBER_LOG_NOTICE("Connecting to MASTER {}:{}", host_, port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (getaddrinfo(host_.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    EMBER_LOG_WARNING("Unable to connect to MASTER: can't resolve {}", host_);
    return false;
  }
  fd_ = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || (connect(fd_, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS)) {
    EMBER_LOG_WARNING("Unable to connect to MASTER: {}", strerror(errno));
    freeaddrinfo(res);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return false;
  }
  freeaddrinfo(res);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  server_.loop().Add(fd_, EPOLLOUT | EPOLLIN, this);
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync started");
  return true;
}

void MasterLink::OnIoEvent(uint32_t events) {
  if (failed_) return;
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      return Fail(std::string("Error condition on socket for SYNC: ") + strerror(err ? err : ECONNREFUSED));
    }
    if (!(events & EPOLLOUT)) return;
    server_.loop().Modify(fd_, EPOLLIN, this);
    OnConnected();
    return;
  }
  char buf[kReadChunk];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n > 0) {
      last_io_ms_ = WallClockMs();
      in_.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      if (state_ == State::kTransfer) {
        Advance();  // write the bulk out before reading more
        if (failed_ || fd_ < 0) return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return Fail(n == 0 ? "Master closed the connection during the sync"
                       : std::string("I/O error reading from MASTER: ") + strerror(errno));
  }
  Advance();
}

void MasterLink::OnConnected() {
  EMBER_LOG_NOTICE("Non blocking connect for SYNC fired the event.");
  state_ = State::kHandshake;
  step_ = Step::kPong;
  Send({"PING"});
}

void MasterLink::Send(const std::vector<std::string>& argv) {
  std::string out;
  ReplyBuilder(&out).Command(argv);
  // Handshake commands are a few dozen bytes: a non-blocking socket takes them at once.
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = write(fd_, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(std::string("Error writing to MASTER: ") + strerror(errno));
    off += static_cast<size_t>(n);
  }
}

bool MasterLink::ReadLine(std::string* line) {
  size_t nl = in_.find('\n');
  if (nl == std::string::npos) return false;
  size_t end = nl > 0 && in_[nl - 1] == '\r' ? nl - 1 : nl;
  line->assign(in_, 0, end);
  in_.erase(0, nl + 1);
  return true;
}

void MasterLink::Advance() {
  while (!failed_ && fd_ >= 0) {
    if (step_ == Step::kBulk) {
      if (!ReceiveBulk()) return;
      continue;
    }
    std::string line;
    if (!ReadLine(&line)) return;
    if (!HandleReply(line)) return;
  }
}

bool MasterLink::HandleReply(const std::string& line) {
  const ServerConfig& cfg = server_.config();
  switch (step_) {
    case Step::kPong:
      // -NOAUTH / -NOPERM mean the master is alive and wants AUTH: that comes next.
      if (line.empty() || (line[0] == '-' && line.rfind("-NOAUTH", 0) != 0 &&
                           line.rfind("-NOPERM", 0) != 0 &&
                           line.rfind("-ERR operation not permitted", 0) != 0)) {
        Fail("Error reply to PING from master: '" + line + "'");
        return false;
      }
      EMBER_LOG_NOTICE("Master replied to PING, replication can continue...");
      if (!cfg.masterauth.empty()) {
        step_ = Step::kAuth;
        if (cfg.masteruser.empty()) {
          Send({"AUTH", cfg.masterauth});
        } else {
          Send({"AUTH", cfg.masteruser, cfg.masterauth});
        }
        return true;
      }
      [[fallthrough]];
    case Step::kAuth:
      if (step_ == Step::kAuth && line[0] == '-') {
        Fail("Unable to AUTH to MASTER: " + line);
        return false;
      }
      step_ = Step::kPort;
      Send({"REPLCONF", "listening-port",
            std::to_string(cfg.replica_announce_port ? cfg.replica_announce_port : cfg.port)});
      return true;
    case Step::kPort:
      if (line[0] == '-') {
        EMBER_LOG_NOTICE("(Non critical) Master does not understand REPLCONF listening-port: {}",
                         line);
      }
      if (!cfg.replica_announce_ip.empty()) {
        step_ = Step::kIp;
        Send({"REPLCONF", "ip-address", cfg.replica_announce_ip});
        return true;
      }
      [[fallthrough]];
    case Step::kIp:
      if (step_ == Step::kIp && line[0] == '-') {
        EMBER_LOG_NOTICE("(Non critical) Master does not understand REPLCONF ip-address: {}", line);
      }
      step_ = Step::kCapa;
      Send({"REPLCONF", "capa", "eof", "capa", "psync2"});
      return true;
    case Step::kCapa: {
      if (line[0] == '-') {
        EMBER_LOG_NOTICE("(Non critical) Master does not understand REPLCONF capa: {}", line);
      }
      step_ = Step::kPsync;
      const auto [replid, offset] = repl_.PsyncRequest();
      if (replid == "?") {
        EMBER_LOG_NOTICE("Partial resynchronization not possible (no cached master)");
      } else {
        EMBER_LOG_NOTICE(
            "Trying a partial resynchronization (request {}:{}).", replid, offset);
      }
      if (repl_.failover_in_progress()) {
        Send({"PSYNC", replid, std::to_string(offset), "FAILOVER"});
      } else {
        Send({"PSYNC", replid, std::to_string(offset)});
      }
      return true;
    }
    case Step::kPsync:
      return HandlePsyncReply(line);
    case Step::kBulkHeader:
      if (line.empty()) return true;  // the master's keep-alive newlines while it saves
      if (line[0] == '-') {
        Fail("MASTER aborted replication with an error: " + line);
        return false;
      }
      if (line[0] != '$') {
        Fail("Bad protocol from MASTER, the first byte is not '$' (we received '" + line + "')");
        return false;
      }
      if (line.rfind("$EOF:", 0) == 0 && line.size() == 5 + kEofMarkLen) {
        eof_mark_ = line.substr(5);
        transfer_size_ = -1;
        EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
      } else {
        int64_t size;
        if (!ParseInt64(std::string_view(line).substr(1), &size) || size < 0) {
          Fail("Bad bulk length from MASTER: '" + line + "'");
          return false;
        }
        transfer_size_ = size;
        EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: receiving {} bytes from master to disk", size);
      }
      if (repl_.UseDisklessLoad()) {
        LoadFromSocket();
        return false;
      }
      tmp_path_ = "temp-" + std::to_string(WallClockMs() / 1000) + "." + std::to_string(getpid()) +
                  ".rdb";
      tmp_fd_ = open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (tmp_fd_ < 0) {
        Fail("Opening the temp file needed for MASTER <-> REPLICA synchronization: " +
             std::string(strerror(errno)));
        return false;
      }
      state_ = State::kTransfer;
      step_ = Step::kBulk;
      return true;
    case Step::kBulk:
      return true;
  }
  return true;
}

bool MasterLink::HandlePsyncReply(const std::string& line) {
  if (line.empty()) return true;  // keep-alive newline before the reply
  if (line.rfind("+FULLRESYNC", 0) == 0) {
    // +FULLRESYNC <replid> <offset>
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    int64_t offset;
    if (sp2 == std::string::npos || sp2 - sp1 - 1 != 40 ||
        !ParseInt64(std::string_view(line).substr(sp2 + 1), &offset)) {
      Fail("Master replied with a wrong +FULLRESYNC reply: '" + line + "'");
      return false;
    }
    master_replid_ = line.substr(sp1 + 1, 40);
    master_offset_ = offset;
    repl_.OnFailoverPsyncDone(true);
    EMBER_LOG_NOTICE("Full resync from master: {}:{}", master_replid_, master_offset_);
    step_ = Step::kBulkHeader;
    return true;
  }
  if (line.rfind("+CONTINUE", 0) == 0) {
    std::string new_id = line.size() > 10 ? line.substr(10, 40) : std::string();
    repl_.OnFailoverPsyncDone(true);
    EMBER_LOG_NOTICE("Successful partial resynchronization with master.");
    const int fd = fd_;
    server_.loop().Remove(fd_);
    fd_ = -1;
    std::string leftover = std::move(in_);
    repl_.OnPartialSyncAccepted(new_id, fd, host_, port_, std::move(leftover));  // deletes us
    return false;
  }
  if (repl_.failover_in_progress()) {
    Fail("Failover target rejected PSYNC: " + line);
    repl_.OnFailoverPsyncDone(false);
    return false;
  }
  if (line.rfind("-NOMASTERLINK", 0) == 0 || line.rfind("-LOADING", 0) == 0) {
    Fail("Master is currently unable to PSYNC but should be in the future: " + line);
    return false;
  }
  Fail("Unexpected reply to PSYNC from master: " + line);
  return false;
}

bool MasterLink::WriteTemp(const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(tmp_fd_, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Fail("Write error or short write writing to the DB dump file needed for MASTER <-> "
           "REPLICA synchronization: " + std::string(strerror(errno)));
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool MasterLink::ReceiveBulk() {
  if (in_.empty()) return false;
  if (transfer_size_ >= 0) {
    const size_t take = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(in_.size()), transfer_size_ - transfer_read_));
    if (!WriteTemp(in_.data(), take)) return false;
    transfer_read_ += static_cast<int64_t>(take);
    in_.erase(0, take);
    if (transfer_read_ < transfer_size_) return false;
  } else {
    // Hold back the last 40 bytes: they may be the end mark.
    tail_ += in_;
    in_.clear();
    if (tail_.size() > kEofMarkLen) {
      const size_t flush = tail_.size() - kEofMarkLen;
      if (!WriteTemp(tail_.data(), flush)) return false;
      transfer_read_ += static_cast<int64_t>(flush);
      tail_.erase(0, flush);
    }
    if (tail_ != eof_mark_) return false;
  }
  FinishTransfer();
  return false;
}

namespace {

// The snapshot bytes of a diskless load: what already arrived, then the socket (blocking, with
// repl-timeout as the read timeout); with a known length, never past the snapshot's end.
class SocketSource : public RdbSource {
 public:
  SocketSource(int fd, std::string pending, int64_t limit)
      : fd_(fd), pending_(std::move(pending)), limit_(limit) {}
  size_t Read(char* buf, size_t len) override {
    if (limit_ >= 0) len = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(len), limit_ - served_));
    if (len == 0) return 0;
    size_t n = 0;
    if (pending_pos_ < pending_.size()) {
      n = std::min(len, pending_.size() - pending_pos_);
      std::memcpy(buf, pending_.data() + pending_pos_, n);
      pending_pos_ += n;
    } else {
      ssize_t r;
      do {
        r = read(fd_, buf, len);
      } while (r < 0 && errno == EINTR);
      if (r <= 0) return 0;
      n = static_cast<size_t>(r);
    }
    served_ += static_cast<int64_t>(n);
    return n;
  }
  std::string Rest() const { return pending_.substr(pending_pos_); }

 private:
  int fd_;
  std::string pending_;
  size_t pending_pos_ = 0;
  int64_t limit_;
  int64_t served_ = 0;
};

void SetBlocking(int fd, bool blocking, int64_t timeout_s) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
  timeval tv{};
  tv.tv_sec = blocking ? timeout_s : 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

}  // namespace

void MasterLink::LoadFromSocket() {
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Loading DB in memory (diskless, from the socket)");
  server_.loop().Remove(fd_);
  SetBlocking(fd_, true, server_.config().repl_timeout);
  SocketSource source(fd_, std::move(in_), transfer_size_);
  in_.clear();
  RdbReader reader(&source);
  std::string err, leftover;
  bool ok = repl_.LoadSnapshotFromMaster(reader, master_replid_, &err);
  if (ok) {
    // After the snapshot: the end mark (diskless transfer), then the stream's first bytes.
    leftover = reader.TakeUnconsumed() + source.Rest();
    if (!eof_mark_.empty()) {
      char buf[kEofMarkLen];
      while (leftover.size() < kEofMarkLen) {
        ssize_t n = read(fd_, buf, kEofMarkLen - leftover.size());
        if (n <= 0) break;
        leftover.append(buf, static_cast<size_t>(n));
      }
      if (leftover.compare(0, kEofMarkLen, eof_mark_) != 0) {
        ok = false;
        err = "the snapshot is not followed by the end mark";
      } else {
        leftover.erase(0, kEofMarkLen);
      }
    }
  }
  SetBlocking(fd_, false, 0);
  if (!ok) {
    server_.loop().Add(fd_, EPOLLIN, this);  // removed again by the destructor
    return Fail("Failed trying to load the MASTER synchronization DB from socket: " + err);
  }
  const int fd = fd_;
  fd_ = -1;
  repl_.OnDisklessLoadDone(master_replid_, master_offset_, fd, host_, port_, std::move(leftover));
}

void MasterLink::FinishTransfer() {
  if (fsync(tmp_fd_) != 0 || close(tmp_fd_) != 0) {
    tmp_fd_ = -1;
    return Fail("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization");
  }
  tmp_fd_ = -1;
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Transfer of {} bytes completed", transfer_read_);
  const int fd = fd_;
  server_.loop().Remove(fd_);
  fd_ = -1;
  std::string path = std::move(tmp_path_);
  tmp_path_.clear();
  repl_.OnFullSyncReceived(master_replid_, master_offset_, path, fd, host_, port_,
                           std::move(in_));  // deletes us
}

void MasterLink::Fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  EMBER_LOG_WARNING("{}", why);
  repl_.OnLinkFailed();  // deletes us from the next cron on; stop touching members
}

}  // namespace ember
