#include "common/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>

namespace ember {

namespace {
std::mutex g_log_mutex;
FILE* g_log_fp = nullptr;
std::string g_open_path;
bool g_reopen = true;

FILE* LogStream() {
  const auto& settings = GetLogSettings();
  if (settings.file.empty()) return stdout;
  if (g_reopen || g_open_path != settings.file) {
    if (g_log_fp) fclose(g_log_fp);
    g_log_fp = fopen(settings.file.c_str(), "a");
    g_open_path = settings.file;
    g_reopen = false;
  }
  return g_log_fp;
}
}  // namespace

LogSettings& GetLogSettings() {
  static LogSettings settings;
  return settings;
}

void ReopenLog() {
  std::lock_guard lock(g_log_mutex);
  g_reopen = true;
}

bool ShouldLog(LogLevel level) { return level >= GetLogSettings().level; }

void LogRaw(LogLevel level, std::string_view message) {
  if (!ShouldLog(level)) return;
  std::lock_guard lock(g_log_mutex);
  FILE* fp = LogStream();
  if (!fp) return;
  fwrite(message.data(), 1, message.size(), fp);
  fflush(fp);
}

void LogLine(LogLevel level, std::string_view message) {
  static const char kLevelChars[] = ".-*#";
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char when[64];
  size_t off = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &tm);
  snprintf(when + off, sizeof(when) - off, "%03d", static_cast<int>(tv.tv_usec / 1000));
  std::string line = fmt::format("{}:{} {} {} {}\n", getpid(), GetLogSettings().role, when,
                                 kLevelChars[static_cast<int>(level) & 3], message);
  LogRaw(level, line);
}

}  // namespace ember
