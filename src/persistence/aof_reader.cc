#include "persistence/aof_reader.h"

#include <cstdlib>
#include <cstring>

namespace ember {
namespace {
constexpr int kLineMax = 1024;  // Redis's AOF_ANNOTATION_LINE_MAX_LEN
}  // namespace

AofReader::Result AofReader::Next(std::vector<std::string>* argv) {
  if (valid_up_to_ < 0) valid_up_to_ = ftello(fp_);
  char buf[kLineMax];
  for (;;) {
    if (!fgets(buf, sizeof(buf), fp_)) return feof(fp_) ? Result::kEof : Result::kIoError;
    if (buf[0] != '#') break;  // annotation
  }
  if (buf[0] != '*') return Result::kFormatError;
  if (buf[1] == '\0') return feof(fp_) ? Result::kTruncated : Result::kIoError;
  const long argc = std::atol(buf + 1);
  if (argc < 1) return Result::kFormatError;
  argv->clear();
  argv->reserve(static_cast<size_t>(std::min<long>(argc, 1024)));
  auto eof_or_error = [this] { return feof(fp_) ? Result::kTruncated : Result::kIoError; };
  for (long j = 0; j < argc; ++j) {
    if (!fgets(buf, sizeof(buf), fp_)) return eof_or_error();
    if (buf[0] != '$') return Result::kFormatError;
    const long len = std::strtol(buf + 1, nullptr, 10);
    if (len < 0) return Result::kFormatError;
    std::string arg(static_cast<size_t>(len), '\0');
    if (len > 0 && fread(arg.data(), static_cast<size_t>(len), 1, fp_) != 1) return eof_or_error();
    char crlf[2];
    if (fread(crlf, 2, 1, fp_) != 1) return eof_or_error();
    argv->push_back(std::move(arg));
  }
  valid_up_to_ = ftello(fp_);
  return Result::kCommand;
}

}  // namespace ember
