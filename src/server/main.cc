// ember-server: command-line entry point. Everything else lives in Server.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/clock.h"
#include "common/version.h"
#include "server/server.h"

namespace {

void PrintVersion() {
  // Same shape as redis-server's line, which tools parse. The Redis version Ember answers as is
  // in INFO (redis_version) and HELLO.
  std::printf("Ember server v=%s sha=00000000:0 malloc=libc bits=%zu build=0\n",
              ember::kEmberVersion, sizeof(void*) * 8);
}

void PrintUsage(const char* exe) {
  std::fprintf(stderr,
               "Usage: %1$s [/path/to/ember.conf] [options] [-]\n"
               "       %1$s - (read config from stdin)\n"
               "       %1$s -v or --version\n"
               "       %1$s -h or --help\n"
               "\n"
               "The configuration file and options are those of redis-server 7.0: any directive\n"
               "of redis.conf can be given as --directive value.\n"
               "\n"
               "Examples:\n"
               "       %1$s (run the server with default conf)\n"
               "       echo 'maxmemory 128mb' | %1$s -\n"
               "       %1$s /etc/ember/6379.conf\n"
               "       %1$s --port 7777\n"
               "       %1$s --port 7777 --replicaof 127.0.0.1 8888\n"
               "       %1$s /etc/myember.conf --loglevel verbose -\n"
               "       %1$s /etc/myember.conf --loglevel verbose\n",
               exe);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) {
    if (!std::strcmp(argv[1], "-v") || !std::strcmp(argv[1], "--version")) {
      PrintVersion();
      return 0;
    }
    if (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
      PrintUsage(argv[0]);
      return 1;
    }
  }
  ember::CalibrateFastClock();
  ember::Server server;
  int rc = server.Configure(argc, argv);
  if (rc >= 0) return rc;
  if (!server.Start()) return 1;
  return server.Run();
}
