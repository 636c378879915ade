#include "protocol/reply_builder.h"

#include <cstring>

#include "common/strings.h"

namespace ember {

// "<prefix><n>\r\n" into `buf` (32 bytes); returns the length.
static size_t FormatHeader(char prefix, int64_t n, char* buf) {
  buf[0] = prefix;
  size_t len = 1 + FormatInt64(n, buf + 1);
  buf[len++] = '\r';
  buf[len++] = '\n';
  return len;
}

void ReplyBuilder::Prefixed(char prefix, int64_t n) {
  if (muted_) return;
  char buf[32];
  out_->append(buf, FormatHeader(prefix, n, buf));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  if (muted_) return;
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::SimpleStringArray(std::span<const std::string_view> items) {
  ArrayLen(items.size());
  for (std::string_view item : items) SimpleString(item);
}

void ReplyBuilder::Error(std::string_view text) {
  ++errors_sent_;
  size_t sp = text.find(' ');
  last_error_code_.assign(text.substr(0, sp == std::string_view::npos ? text.size() : sp));
  if (muted_) return;
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(text);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyBuilder::Integer(int64_t v) { Prefixed(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  if (muted_) return;
  if (s.size() <= kSmallBulk) {
    // Header, bytes and CRLF assembled on the stack: one append instead of three.
    char buf[32 + kSmallBulk + 2];
    size_t len = FormatHeader('$', static_cast<int64_t>(s.size()), buf);
    std::memcpy(buf + len, s.data(), s.size());
    len += s.size();
    buf[len++] = '\r';
    buf[len++] = '\n';
    out_->append(buf, len);
    return;
  }
  Prefixed('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::Null() { Raw(resp3_ ? "_\r\n" : "$-1\r\n"); }
void ReplyBuilder::NullArray() { Raw(resp3_ ? "_\r\n" : "*-1\r\n"); }
void ReplyBuilder::ArrayLen(size_t n) { Prefixed('*', static_cast<int64_t>(n)); }
void ReplyBuilder::MapLen(size_t n) {
  Prefixed(resp3_ ? '%' : '*', static_cast<int64_t>(resp3_ ? n : 2 * n));
}
void ReplyBuilder::SetLen(size_t n) { Prefixed(resp3_ ? '~' : '*', static_cast<int64_t>(n)); }
void ReplyBuilder::PushLen(size_t n) { Prefixed(resp3_ ? '>' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::Double(double d) {
  if (muted_) return;
  std::string s = DoubleToString(d);
  if (resp3_) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::Bool(bool b) {
  if (resp3_) {
    Raw(b ? "#t\r\n" : "#f\r\n");
  } else {
    Raw(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view s, std::string_view format) {
  if (muted_) return;
  if (!resp3_) return Bulk(s);
  Prefixed('=', static_cast<int64_t>(s.size() + 4));
  out_->append(format);
  out_->push_back(':');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::BulkArray(std::initializer_list<std::string_view> items) {
  ArrayLen(items.size());
  for (auto s : items) Bulk(s);
}

}  // namespace ember
