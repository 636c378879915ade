// The AOF at start-up (Redis 7.0's loadAppendOnlyFiles): the manifest, the base (an RDB or
// commands) and the incremental files, replayed through the dispatcher by a client without a
// socket; MULTI blocks apply at their EXEC, as they ran. A truncated last file is cut at its last
// whole command with aof-load-truncated; any other damage stops the start with Redis's texts.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "persistence/aof_reader.h"
#include "persistence/rdb_io.h"
#include "server/aof.h"
#include "server/server.h"

namespace ember {
namespace {

bool PathExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

bool DirExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

int64_t FileSizeOrZero(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

bool Aof::LoadManifestFromDisk(AofManifest* out, bool quiet) {
  *out = AofManifest();
  const std::string path = DirPath(AofManifestName(filename()));
  if (!DirExists(dirname()) || !PathExists(path)) return true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!quiet) {
      EMBER_LOG_WARNING("Fatal error: can't open the AOF manifest file {} for reading: {}", path,
                        strerror(errno));
    }
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string err, line;
  int line_no = 0;
  if (ParseAofManifest(ss.str(), out, &err, &line_no, &line)) return true;
  if (!quiet) {
    EMBER_LOG_WARNING("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
    if (line_no > 0) {
      EMBER_LOG_WARNING("Reading the manifest file, at line {}\n", line_no);
      EMBER_LOG_WARNING(">>> '{}'\n", line);
    }
    EMBER_LOG_WARNING("{}\n", err);
  }
  return false;
}

bool Aof::UpgradeOldAof() {
  // Redis's aofUpgradePrepare: an old single appendonly.aof in `dir` becomes the base of a new
  // manifest, then moves into the directory. A crash in between is redone at the next start.
  if (mkdir(dirname().c_str(), 0755) != 0 && errno != EEXIST) {
    EMBER_LOG_WARNING("Can't open or create append-only dir {}: {}", dirname(), strerror(errno));
    return false;
  }
  manifest_ = AofManifest();
  manifest_.base = AofFileInfo{filename(), 1, AofFileInfo::kBase};
  manifest_.base_seq = 1;
  if (!WriteAofManifestFile(dirname(), filename(), manifest_.Format())) return false;
  if (rename(filename().c_str(), DirPath(filename()).c_str()) != 0) {
    EMBER_LOG_WARNING("Error trying to move the old AOF file {} into dir {}: {}", filename(),
                      dirname(), strerror(errno));
    return false;
  }
  EMBER_LOG_NOTICE(
      "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).", filename(),
      dirname());
  return true;
}

bool Aof::LoadAtStartup() {
  if (!LoadManifestFromDisk(&manifest_)) return false;
  if (PathExists(filename())) {
    const bool only_old_base = manifest_.base && manifest_.incrs.empty() &&
                               manifest_.base->name == filename() &&
                               !PathExists(DirPath(filename()));
    if (!DirExists(dirname()) || manifest_.empty() || only_old_base) {
      if (!UpgradeOldAof()) return false;
    }
  }
  const int64_t start = MonotonicUs();
  const LoadResult r = LoadFiles(/*serve_clients=*/true);
  if (r == LoadResult::kFailed || r == LoadResult::kOpenError) return false;
  if (r != LoadResult::kNotExist) {
    EMBER_LOG_NOTICE("DB loaded from append only file: {:.3f} seconds",
                     static_cast<double>(MonotonicUs() - start) / 1e6);
  }
  return true;
}

bool Aof::LoadForDebug() {
  if (fd_ >= 0) Flush(true);
  AofManifest disk;
  if (!LoadManifestFromDisk(&disk)) return false;
  // The manifest in memory is the one being written: only its files are read here.
  AofManifest current = std::move(manifest_);
  manifest_ = std::move(disk);
  const LoadResult r = LoadFiles(/*serve_clients=*/false);
  manifest_ = std::move(current);
  if (r != LoadResult::kOk && r != LoadResult::kEmpty && r != LoadResult::kNotExist) return false;
  EMBER_LOG_WARNING("Append Only File loaded by DEBUG LOADAOF");
  return true;
}

Aof::LoadResult Aof::LoadFiles(bool serve_clients) {
  if (manifest_.empty()) return LoadResult::kNotExist;
  std::vector<const AofFileInfo*> files;
  if (manifest_.base) files.push_back(&*manifest_.base);
  for (const AofFileInfo& f : manifest_.incrs) files.push_back(&f);
  int64_t total = 0, base_size = 0;
  for (const AofFileInfo* f : files) {
    struct stat st {};
    if (stat(DirPath(f->name).c_str(), &st) != 0) {
      EMBER_LOG_WARNING("Unable to obtain the AOF file {} length. stat: {}", f->name,
                        strerror(errno));
      return LoadResult::kFailed;
    }
    total += st.st_size;
    if (f == files.front() && manifest_.base) base_size = st.st_size;
  }
  if (total == 0) return LoadResult::kEmpty;
  loaded_before_ = 0;
  Snapshots& snap = server_.snapshots();
  snap.BeginLoading(static_cast<uint64_t>(total));
  struct EndLoading {
    Snapshots& s;
    ~EndLoading() { s.EndLoading(); }
  } end_loading{snap};
  for (size_t i = 0; i < files.size(); ++i) {
    const AofFileInfo& f = *files[i];
    const bool last = i + 1 == files.size();
    const bool is_base = manifest_.base && i == 0;
    const int64_t start = MonotonicUs();
    LoadResult r = LoadSingleFile(f.name, serve_clients);
    if (r == LoadResult::kOk || (r == LoadResult::kTruncated && last)) {
      EMBER_LOG_NOTICE("DB loaded from {} file {}: {:.3f} seconds", is_base ? "base" : "incr",
                       f.name, static_cast<double>(MonotonicUs() - start) / 1e6);
    }
    // A truncated file that is not the last one means lost writes in the middle.
    if (r == LoadResult::kTruncated && !last) r = LoadResult::kFailed;
    if (r == LoadResult::kOpenError || r == LoadResult::kFailed) return r;
    loaded_before_ += FileSizeOrZero(DirPath(f.name));
    snap.set_loaded_bytes(static_cast<uint64_t>(loaded_before_));
  }
  current_size_ = total;
  rewrite_base_size_ = base_size;
  fsynced_size_ = total;
  return LoadResult::kOk;
}

Aof::LoadResult Aof::LoadSingleFile(const std::string& name, bool serve_clients) {
  const std::string path = DirPath(name);
  FILE* fp = fopen(path.c_str(), "r");
  if (!fp) {
    const int en = errno;
    if (PathExists(path) || errno != ENOENT) {
      EMBER_LOG_WARNING("Fatal error: can't open the append log file {} for reading: {}", name,
                        strerror(en));
      return LoadResult::kOpenError;
    }
    EMBER_LOG_WARNING("The append log file {} doesn't exist: {}", name, strerror(en));
    return LoadResult::kNotExist;
  }
  struct stat st {};
  if (fstat(fileno(fp), &st) == 0 && st.st_size == 0) {
    fclose(fp);
    return LoadResult::kEmpty;
  }
  static char iobuf[1 << 20];
  setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
  LoadResult result = LoadResult::kOk;
  char sig[5];
  if (fread(sig, 1, 5, fp) == 5 && memcmp(sig, "REDIS", 5) == 0) {
    // An RDB base, or the RDB preamble of an old single-file AOF (then commands follow).
    const bool old_style = name == filename();
    EMBER_LOG_NOTICE("{}", old_style ? "Reading RDB preamble from AOF file..."
                                     : "Reading RDB base file on AOF loading...");
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    FdSource source(fd);
    RdbReader reader(&source);
    std::string err;
    const bool ok = fd >= 0 && server_.snapshots().Load(reader, server_.keyspace(),
                                                         static_cast<uint64_t>(st.st_size),
                                                         serve_clients, false, &err);
    if (fd >= 0) close(fd);
    if (!ok) {
      EMBER_LOG_WARNING("{} {}, AOF loading aborted: {}",
                        old_style ? "Error reading the RDB preamble of the AOF file"
                                  : "Error reading the RDB base file",
                        name, err);
      fclose(fp);
      return LoadResult::kFailed;
    }
    fseeko(fp, static_cast<off_t>(reader.offset()), SEEK_SET);
    if (old_style) EMBER_LOG_NOTICE("Reading the remaining AOF tail...");
  } else {
    fseeko(fp, 0, SEEK_SET);
  }

  // Commands, replayed by a client without a socket. It sees every key as the master's link
  // does (nothing expires while loading) and its replies are dropped.
  Connection client(&server_, -1, "", "", false);
  client.id = UINT64_MAX;  // Redis's CLIENT_ID_AOF
  client.authenticated = true;
  client.is_master_link = true;
  client.reply_mode = ClientState::ReplyMode::kOff;
  AofReader reader(fp);
  std::vector<std::string> argv;
  std::vector<std::string_view> args;
  int64_t valid_before_multi = 0;
  uint64_t loops = 0;
  const int64_t key_delay = server_.config().key_load_delay;
  replaying_ = true;
  struct EndReplay {
    bool& flag;
    ~EndReplay() { flag = false; }
  } end_replay{replaying_};
  const bool load_truncated = server_.config().aof_load_truncated;
  for (;;) {
    const int64_t before = reader.valid_up_to() < 0 ? ftello(fp) : reader.valid_up_to();
    AofReader::Result r = reader.Next(&argv);
    if (r == AofReader::Result::kEof) {
      if (client.multi) {
        // A MULTI without its EXEC is cut off like a short read: its commands never ran.
        EMBER_LOG_WARNING("Revert incomplete MULTI/EXEC transaction in AOF file {}", name);
        client.multi.reset();
        reader.set_valid_up_to(valid_before_multi);
        r = AofReader::Result::kTruncated;
      } else {
        break;
      }
    }
    if (r == AofReader::Result::kIoError) {
      EMBER_LOG_WARNING("Unrecoverable error reading the append only file {}: {}", name,
                        strerror(errno));
      result = LoadResult::kFailed;
      break;
    }
    if (r == AofReader::Result::kFormatError) {
      EMBER_LOG_WARNING("Bad file format reading the append only file {}: make a backup of your "
                        "AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                        name);
      EMBER_LOG_WARNING("(the last valid command of {} ends at offset {})", name,
                        reader.valid_up_to());
      result = LoadResult::kFailed;
      break;
    }
    if (r == AofReader::Result::kTruncated) {
      const int64_t valid = reader.valid_up_to();
      if (load_truncated) {
        EMBER_LOG_WARNING("!!! Warning: short read while loading the AOF file {}!!!", name);
        EMBER_LOG_WARNING("!!! Truncating the AOF {} at offset {} !!!", name, valid);
        if (truncate(path.c_str(), valid) != 0) {
          EMBER_LOG_WARNING("Error truncating the AOF file {}: {}", name, strerror(errno));
        } else {
          EMBER_LOG_WARNING("AOF {} loaded anyway because aof-load-truncated is enabled", name);
          result = LoadResult::kTruncated;
          break;
        }
      }
      EMBER_LOG_WARNING(
          "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of "
          "your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively "
          "you can set the 'aof-load-truncated' configuration option to yes and restart the "
          "server.",
          name);
      result = LoadResult::kFailed;
      break;
    }
    args.assign(argv.begin(), argv.end());
    const CommandSpec* spec = CommandTable::Global().Resolve(args);
    if (!spec) {
      EMBER_LOG_WARNING("Unknown command '{}' reading the append only file {}", argv[0], name);
      result = LoadResult::kFailed;
      break;
    }
    if (spec->name == "multi") valid_before_multi = before;
    server_.Dispatch(client, args);
    if (key_delay > 0) usleep(static_cast<useconds_t>(key_delay));  // tests watch -LOADING
    // Other clients are answered (-LOADING) now and then, as Redis every 1024 commands.
    if (serve_clients && ++loops % 1024 == 0) {
      server_.snapshots().set_loaded_bytes(static_cast<uint64_t>(loaded_before_ + ftello(fp)));
      server_.ProcessEventsWhileLoading();
    }
  }
  fclose(fp);
  return result;
}

bool Aof::OpenOnStart() {
  // Redis's aofOpenIfNeededOnServerStart.
  if (!server_.config().appendonly) return true;
  if (mkdir(dirname().c_str(), 0755) != 0 && errno != EEXIST) {
    EMBER_LOG_WARNING("Can't open or create append-only dir {}: {}", dirname(), strerror(errno));
    return false;
  }
  const bool had_incrs = !manifest_.incrs.empty();
  if (!manifest_.base && !had_incrs) {
    // Starting empty: a base file first, so the directory alone always describes the data.
    const std::string base = manifest_.NewBase(filename(), server_.config().aof_use_rdb_preamble);
    if (!WriteBase(DirPath(base))) return false;
    // (Redis does not count this base in aof_current_size/aof_base_size until a restart.)
    EMBER_LOG_NOTICE("Creating AOF base file {} on server start", base);
  }
  const std::string name = had_incrs ? manifest_.incrs.back().name : manifest_.NewIncr(filename());
  fd_ = open(DirPath(name).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    EMBER_LOG_WARNING("Can't open the append-only file {}: {}", name, strerror(errno));
    return false;
  }
  if (!WriteAofManifestFile(dirname(), filename(), manifest_.Format())) return false;
  struct stat st {};
  last_incr_size_ = fstat(fd_, &st) == 0 ? st.st_size : 0;
  EMBER_LOG_NOTICE("{} AOF incr file {} on server start", had_incrs ? "Opening" : "Creating",
                   name);
  state_ = State::kOn;
  last_fsync_sec_ = WallClockMs() / 1000;
  DeleteHistoryFiles();
  return true;
}

}  // namespace ember
