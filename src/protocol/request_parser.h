// Incremental parser for client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
// inline commands ("GET k\r\n"). It never blocks and never copies bulk payloads: arguments of a
// multibulk request are views into the caller's buffer, which must hold the unconsumed bytes
// unchanged (though it may move or grow) between calls until a request is complete.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class RequestParser {
 public:
  enum class Status {
    kRequest,        // one request parsed; args() holds it; `consumed` bytes belong to it
    kEmpty,          // bytes consumed but no request (empty inline line, "*0" or "*-1")
    kNeedMore,       // the buffer holds a partial request
    kProtocolError,  // error() holds Redis's reply text; the connection must be closed
  };

  // Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or count line.
  static constexpr size_t kInlineMaxSize = 64 * 1024;
  // Before AUTH, Redis refuses requests of more arguments or longer bulks than these.
  static constexpr int64_t kUnauthenticatedMaxArgs = 10;
  static constexpr int64_t kUnauthenticatedMaxBulk = 16384;

  // Parses from the start of `buf`, which begins at the first byte not consumed yet.
  Status Parse(std::string_view buf, size_t* consumed);

  const std::vector<std::string_view>& args() const { return args_; }
  const std::string& error() const { return error_; }

  // Bytes still needed to complete the bulk being read (0 when unknown): lets the connection
  // grow its buffer once for a large value instead of many times.
  size_t pending_bulk_bytes() const { return pending_bulk_bytes_; }

  void set_max_bulk_len(int64_t v) { max_bulk_len_ = v; }
  // Before authentication Redis refuses large counts, so an attacker cannot make it allocate.
  void set_unauthenticated(bool v) { unauthenticated_ = v; }
  // Inline requests are refused on a replica's link to its master.
  bool last_was_inline() const { return last_was_inline_; }

  void Reset();

 private:
  Status ParseInline(std::string_view buf, size_t* consumed);
  Status ParseMultibulk(std::string_view buf, size_t* consumed);
  // The common case in one pass: a whole request with at most 99 arguments and canonical
  // lengths, all in `buf`, straight into args_. False (nothing consumed) sends anything else,
  // split requests and errors included, the general way.
  bool ParseWhole(std::string_view buf, size_t* consumed);
  Status ParseBulkLengthLine(std::string_view rest, int64_t* len, size_t* line_len);
  Status Fail(std::string msg);

  // Progress through the current multibulk request, relative to its first byte.
  size_t pos_ = 0;
  int64_t multibulk_left_ = 0;
  int64_t bulk_len_ = -1;
  std::vector<std::pair<size_t, size_t>> arg_spans_;

  std::vector<std::string_view> args_;
  std::vector<std::string> inline_args_;
  std::string error_;
  size_t pending_bulk_bytes_ = 0;
  int64_t max_bulk_len_ = 512 * 1024 * 1024;
  bool unauthenticated_ = false;
  bool last_was_inline_ = false;
};

// Splits an inline request or a config-file line the way Redis's sdssplitargs does: spaces
// separate arguments, "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes'
// take \' only, and a closing quote must be followed by a space or the end.
// Returns false on unbalanced quotes.
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace ember
