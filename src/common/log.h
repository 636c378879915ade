// Logging in Redis's line format: "pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message",
// where role is M (master), S (replica), C (child) or X (sentinel) and the level char is
// '.' debug, '-' verbose, '*' notice, '#' warning.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace ember {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

struct LogSettings {
  LogLevel level = LogLevel::kNotice;
  std::string file;  // empty: standard output
  char role = 'M';
};

LogSettings& GetLogSettings();
// Re-opens the log file on next write (after the path changes).
void ReopenLog();
bool ShouldLog(LogLevel level);
void LogRaw(LogLevel level, std::string_view message);  // without the prefix (the banner)
void LogLine(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (!ShouldLog(level)) return;
  LogLine(level, fmt::format(f, std::forward<Args>(args)...));
}

#define EMBER_LOG_DEBUG(...) ::ember::Log(::ember::LogLevel::kDebug, __VA_ARGS__)
#define EMBER_LOG_VERBOSE(...) ::ember::Log(::ember::LogLevel::kVerbose, __VA_ARGS__)
#define EMBER_LOG_NOTICE(...) ::ember::Log(::ember::LogLevel::kNotice, __VA_ARGS__)
#define EMBER_LOG_WARNING(...) ::ember::Log(::ember::LogLevel::kWarning, __VA_ARGS__)

}  // namespace ember
