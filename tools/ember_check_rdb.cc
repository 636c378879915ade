// ember-check-rdb: verifies an RDB file (any version Ember reads) the way redis-check-rdb does:
// prints the aux fields and a summary, or the error with its offset, and exits non-zero when the
// file is corrupt.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/clock.h"
#include "common/version.h"
#include "db/keyspace.h"
#include "persistence/rdb_io.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_snapshot.h"

namespace {

// Redis accepts any database number in a file it checks; so do we, up to this many.
constexpr int kMaxCheckedDatabases = 1024;

int Usage(const char* exe) {
  std::fprintf(stderr, "Usage: %s <rdb-file-name>\n", exe);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "-v") || !std::strcmp(argv[1], "--version"))) {
    std::printf("ember-check-rdb %s (Redis %s compatible)\n", ember::kEmberVersion,
                ember::kRedisCompatVersion);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') return Usage(argv[0]);
  const char* path = argv[1];
  std::printf("[offset 0] Checking RDB file %s\n", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::printf("Cannot open file '%s': %s\n", path, std::strerror(errno));
    return 1;
  }
  ember::FdSource source(fd);
  ember::RdbReader reader(&source);
  ember::Keyspace keyspace(kMaxCheckedDatabases);
  ember::SnapshotLoadOptions opts;
  opts.now_ms = ember::WallClockMs();
  ember::SnapshotLoadInfo info;
  const bool ok = ember::LoadSnapshot(reader, keyspace, opts, &info);
  close(fd);

  for (const auto& [key, value] : info.aux) {
    std::printf("[aux] %s = '%s'\n", key.c_str(), value.c_str());
  }
  uint64_t expires = info.keys_expired;
  for (int i = 0; i < keyspace.num_dbs(); i++) {
    if (keyspace.db(i).size() > 0) {
      std::printf("[info] db %d: %zu keys, %zu with an expire\n", i, keyspace.db(i).size(),
                  keyspace.db(i).expires_count());
    }
    expires += keyspace.db(i).expires_count();
  }
  if (!ok) {
    std::printf("--- RDB ERROR DETECTED ---\n");
    std::printf("[offset %llu] %s\n", static_cast<unsigned long long>(reader.error_offset()),
                reader.error().c_str());
  } else {
    std::printf("[offset %llu] Checksum OK\n", static_cast<unsigned long long>(reader.offset()));
    std::printf("[offset %llu] \\o/ RDB looks OK! \\o/\n",
                static_cast<unsigned long long>(reader.offset()));
  }
  std::printf("[info] %llu keys read\n",
              static_cast<unsigned long long>(info.keys_loaded + info.keys_expired));
  std::printf("[info] %llu expires\n", static_cast<unsigned long long>(expires));
  std::printf("[info] %llu already expired\n", static_cast<unsigned long long>(info.keys_expired));
  return ok ? 0 : 1;
}
