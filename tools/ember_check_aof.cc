// ember-check-aof: verifies an AOF the way redis-check-aof (7.0) does: a manifest (every file it
// lists, the base as an RDB or commands) or a single file; reports how far each is valid and,
// with --fix, truncates the last file to its last whole command after asking.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/version.h"
#include "db/keyspace.h"
#include "persistence/aof_manifest.h"
#include "persistence/rdb_io.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_snapshot.h"

namespace {

constexpr int kMaxCheckedDatabases = 1024;

struct Check {
  bool ok = true;
  long long size = 0;
  long long ok_up_to = 0;
  long long ok_up_to_line = 1;
};

// redis-check-aof's process(): reads whole commands, recording how far they are valid.
void CheckCommands(FILE* fp, const std::string& name, Check* c) {
  long long line = c->ok_up_to_line;
  char buf[1024];
  auto pos = [&] { return static_cast<long long>(ftello(fp)); };
  auto fail = [&](const std::string& msg) {
    std::printf("%s\n", msg.c_str());
    c->ok = false;
  };
  for (;;) {
    if (!fgets(buf, sizeof(buf), fp)) break;  // end of file at a record boundary
    ++line;
    if (buf[0] == '#') {
      c->ok_up_to = pos();
      c->ok_up_to_line = line;
      continue;
    }
    long argc;
    if (buf[0] != '*' || (argc = std::strtol(buf + 1, nullptr, 10)) < 1) {
      std::printf("AOF %s format error\n", name.c_str());
      c->ok = false;
      c->ok_up_to_line = line - 1;
      return;
    }
    bool whole = true;
    for (long j = 0; j < argc && whole; ++j) {
      const long long at = pos();
      if (!fgets(buf, sizeof(buf), fp)) {
        char m[128];
        std::snprintf(m, sizeof(m), "0x%16llx: Expected to read a bulk length", at);
        fail(m);
        whole = false;
        break;
      }
      ++line;
      if (buf[0] != '$') {
        char m[128];
        std::snprintf(m, sizeof(m), "0x%16llx: Expected prefix '$', got: '%c'", at, buf[0]);
        fail(m);
        whole = false;
        break;
      }
      const long len = std::strtol(buf + 1, nullptr, 10);
      std::string data(static_cast<size_t>(len < 0 ? 0 : len) + 2, '\0');
      const size_t got = fread(data.data(), 1, data.size(), fp);
      if (got != data.size()) {
        char m[128];
        std::snprintf(m, sizeof(m), "0x%16llx: Expected to read %zu bytes, got %zu bytes", pos(),
                      data.size(), got);
        fail(m);
        whole = false;
        break;
      }
      ++line;
      if (data[data.size() - 2] != '\r' || data[data.size() - 1] != '\n') {
        char m[128];
        std::snprintf(m, sizeof(m), "0x%16llx: Expected \\r\\n, got: %02x%02x", at,
                      static_cast<unsigned char>(data[data.size() - 2]),
                      static_cast<unsigned char>(data[data.size() - 1]));
        fail(m);
        whole = false;
        break;
      }
    }
    if (!whole) {
      c->ok_up_to_line = line;
      return;
    }
    c->ok_up_to = pos();
    c->ok_up_to_line = line;
  }
}

// An RDB (a base, or an old AOF's preamble): loaded into a scratch keyspace to verify it.
bool CheckRdb(const std::string& path, long long* end) {
  FILE* fp = fopen(path.c_str(), "r");
  if (!fp) return false;
  ember::FdSource source(fileno(fp));
  ember::RdbReader reader(&source);
  ember::Keyspace ks(kMaxCheckedDatabases);
  ember::SnapshotLoadOptions opts;
  opts.now_ms = ember::WallClockMs();
  opts.drop_expired = false;
  ember::SnapshotLoadInfo info;
  const bool ok = ember::LoadSnapshot(reader, ks, opts, &info);
  if (ok) {
    std::printf("[info] %llu keys read\n", static_cast<unsigned long long>(info.keys_loaded));
    std::printf("RDB preamble is OK, proceeding with AOF tail...\n");
    *end = static_cast<long long>(reader.offset());
  } else {
    std::printf("--- RDB ERROR DETECTED ---\n[offset %llu] %s\n",
                static_cast<unsigned long long>(reader.error_offset()), reader.error().c_str());
    std::printf("RDB preamble of AOF file is not sane, aborting.\n");
  }
  fclose(fp);
  return ok;
}

// One file. `display` is the name reported; returns the check.
Check CheckFile(const std::string& path, const std::string& display, bool allow_rdb) {
  Check c;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::printf("Cannot stat file: %s, aborting...\n", path.c_str());
    std::exit(1);
  }
  c.size = st.st_size;
  FILE* fp = fopen(path.c_str(), "r");
  if (!fp) {
    std::printf("Cannot open file: %s, aborting...\n", path.c_str());
    std::exit(1);
  }
  char sig[5];
  if (allow_rdb && fread(sig, 1, 5, fp) == 5 && std::memcmp(sig, "REDIS", 5) == 0) {
    long long end = 0;
    if (!CheckRdb(path, &end)) std::exit(1);
    fseeko(fp, end, SEEK_SET);
    c.ok_up_to = end;
  } else {
    fseeko(fp, 0, SEEK_SET);
  }
  CheckCommands(fp, display, &c);
  fclose(fp);
  std::printf("AOF analyzed: filename=%s, size=%lld, ok_up_to=%lld, ok_up_to_line=%lld, "
              "diff=%lld\n",
              display.c_str(), c.size, c.ok_up_to, c.ok_up_to_line, c.size - c.ok_up_to);
  return c;
}

// Invalid: with --fix the file is truncated after a confirmation; false if it stays invalid.
bool Fix(const std::string& path, const std::string& display, const Check& c, bool fix) {
  if (!fix) {
    std::printf("AOF %s is not valid. Use the --fix option to try fixing it.\n", display.c_str());
    return false;
  }
  std::printf("This will shrink the AOF %s from %lld bytes, with %lld bytes, to %lld bytes\n",
              display.c_str(), c.size, c.size - c.ok_up_to, c.ok_up_to);
  std::printf("Continue? [y/N]: ");
  std::fflush(stdout);
  char answer[16] = {0};
  if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
    std::printf("Aborting...\n");
    return false;
  }
  if (truncate(path.c_str(), c.ok_up_to) != 0) {
    std::printf("Failed to truncate AOF %s\n", display.c_str());
    return false;
  }
  std::printf("Successfully truncated AOF %s\n", display.c_str());
  return true;
}

int CheckManifest(const std::string& path, bool fix) {
  std::printf("Start checking Multi Part AOF\n");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ember::AofManifest am;
  std::string err, line;
  int line_no = 0;
  if (!in || !ember::ParseAofManifest(ss.str(), &am, &err, &line_no, &line)) {
    if (line_no > 0) std::printf("Reading the manifest file, at line %d\n>>> '%s'\n", line_no,
                                 line.c_str());
    std::printf("%s\n", in ? err.c_str() : "Can't open the AOF manifest file");
    return 1;
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const size_t nfiles = (am.base ? 1 : 0) + am.incrs.size();
  size_t index = 0;
  if (am.base) {
    ++index;
    const std::string file = dir + "/" + am.base->name;
    FILE* fp = fopen(file.c_str(), "r");
    char sig[5] = {0};
    const bool rdb = fp && fread(sig, 1, 5, fp) == 5 && std::memcmp(sig, "REDIS", 5) == 0;
    if (fp) fclose(fp);
    std::printf("Start to check BASE AOF (%s format).\n", rdb ? "RDB" : "AOF");
    Check c = CheckFile(file, am.base->name, true);
    if (!c.ok && !(index == nfiles && Fix(file, am.base->name, c, fix))) {
      if (index != nfiles) {
        std::printf("AOF %s is not valid. Only the last file can be fixed.\n",
                    am.base->name.c_str());
      }
      return 1;
    }
    if (c.ok) std::printf("BASE AOF %s is valid\n", am.base->name.c_str());
  }
  if (!am.incrs.empty()) std::printf("Start to check INCR files.\n");
  for (const ember::AofFileInfo& f : am.incrs) {
    ++index;
    const std::string file = dir + "/" + f.name;
    Check c = CheckFile(file, f.name, false);
    if (!c.ok) {
      if (index != nfiles) {
        std::printf("AOF %s is not valid. Only the last file can be fixed.\n", f.name.c_str());
        return 1;
      }
      if (!Fix(file, f.name, c, fix)) return 1;
    } else {
      std::printf("INCR AOF %s is valid\n", f.name.c_str());
    }
  }
  std::printf("All AOF files and manifest are valid\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "-v") || !std::strcmp(argv[1], "--version"))) {
    std::printf("ember-check-aof %s (Redis %s compatible)\n", ember::kEmberVersion,
                ember::kRedisCompatVersion);
    return 0;
  }
  bool fix = false;
  std::string path;
  if (argc == 2) {
    path = argv[1];
  } else if (argc == 3 && !std::strcmp(argv[1], "--fix")) {
    fix = true;
    path = argv[2];
  } else {
    std::printf("Usage: %s [--fix] <file.manifest|file.aof|appendonlydir>\n", argv[0]);
    return 1;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::printf("Cannot open file %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  if (S_ISDIR(st.st_mode)) {
    // A directory: its manifest (Ember's convenience; redis-check-aof wants the file).
    std::string found;
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() > 9 && name.compare(name.size() - 9, 9, ".manifest") == 0 &&
            name.rfind("temp-", 0) != 0) {
          found = path + "/" + name;
        }
      }
      closedir(d);
    }
    if (found.empty()) {
      std::printf("No AOF manifest found in directory %s\n", path.c_str());
      return 1;
    }
    path = found;
  }
  if (path.size() > 9 && path.compare(path.size() - 9, 9, ".manifest") == 0) {
    return CheckManifest(path, fix);
  }
  FILE* fp = fopen(path.c_str(), "r");
  char sig[5] = {0};
  const bool rdb = fp && fread(sig, 1, 5, fp) == 5 && std::memcmp(sig, "REDIS", 5) == 0;
  if (fp) fclose(fp);
  std::printf("Start checking %s AOF\n", rdb ? "RDB-preamble" : "Old-Style");
  Check c = CheckFile(path, path, true);
  if (c.ok) {
    std::printf("AOF %s is valid\n", path.c_str());
    return 0;
  }
  return Fix(path, path, c, fix) ? 0 : 1;
}
