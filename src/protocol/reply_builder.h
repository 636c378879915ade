// Encodes replies. Handlers say what they mean ("a map of n pairs", "null", "a double") and the
// builder writes RESP2 or RESP3 as the client negotiated with HELLO; no command branches on the
// protocol version. Replies are appended to a caller-owned string (the connection's output).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace ember {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool v) { resp3_ = v; }
  bool resp3() const { return resp3_; }
  // A muted builder drops everything (CLIENT REPLY OFF, the master's link on a replica).
  void set_muted(bool v) { muted_ = v; }
  bool muted() const { return muted_; }
  void set_output(std::string* out) { out_ = out; }

  void Ok() { Raw("+OK\r\n"); }
  void SimpleString(std::string_view s);
  // `text` is the whole message with its code, e.g. "ERR syntax error" or "WRONGTYPE ...".
  // Newlines in it are replaced by spaces, as Redis does, so the reply stays one line.
  void Error(std::string_view text);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // RESP2 "$-1", RESP3 "_"
  void NullArray();  // RESP2 "*-1", RESP3 "_"
  void ArrayLen(size_t n);
  void MapLen(size_t n);  // RESP2: an array of 2n elements
  void SetLen(size_t n);  // RESP2: an array
  void PushLen(size_t n);  // RESP2: an array
  void Double(double d);  // RESP2: a bulk string
  void Bool(bool b);      // RESP2: integer 1/0
  // RESP3 verbatim string with a three-letter format ("txt"); RESP2: a bulk string.
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void EmptyArray() { ArrayLen(0); }
  void BulkArray(std::initializer_list<std::string_view> items);
  // An array of simple strings: the lines of a HELP reply.
  void SimpleStringArray(std::span<const std::string_view> items);
  void SimpleStringArray(std::initializer_list<std::string_view> items) {
    SimpleStringArray(std::span(items.begin(), items.size()));
  }
  // A command as an array of bulk strings (the replication stream, commands sent to a master).
  template <typename Range>
  void Command(const Range& argv) {
    ArrayLen(std::size(argv));
    for (const auto& a : argv) Bulk(a);
  }

  // Bytes already in RESP form (shared replies, MONITOR lines).
  void Raw(std::string_view bytes) {
    if (!muted_) out_->append(bytes);
  }

  // The first word of the last error sent ("ERR", "WRONGTYPE"), for INFO errorstats.
  std::string_view last_error_code() const { return last_error_code_; }
  uint64_t errors_sent() const { return errors_sent_; }
  void clear_error() { last_error_code_ = {}; }

 private:
  // Bulk strings up to this size are written with a single append.
  static constexpr size_t kSmallBulk = 64;
  void Prefixed(char prefix, int64_t n);

  std::string* out_;
  bool resp3_ = false;
  bool muted_ = false;
  std::string last_error_code_;
  uint64_t errors_sent_ = 0;
};

}  // namespace ember
