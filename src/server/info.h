// INFO: the server's report, section by section, in Redis 7.0's exact field names, order and
// format ("# Section" headers, "field:value" lines, CRLF line endings, a blank line between
// sections).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class Server;
class Connection;

// The INFO text for the given arguments (section names, "default", "all", "everything"; none
// means "default"). Unknown sections produce nothing, as in Redis.
std::string GenerateInfo(Server& server, std::span<const std::string_view> sections);

// Memory a client costs (the connection object and its buffers), as CLIENT LIST tot-mem and
// INFO mem_clients_normal report it. `argv_bytes` is the size of the request being executed.
size_t ClientMemory(const Connection& conn, size_t argv_bytes = 0);

// The memory figures INFO memory and MEMORY STATS share (Redis's getMemoryOverheadData).
struct MemoryOverview {
  size_t used = 0;
  size_t peak = 0;
  size_t startup = 0;
  size_t rss = 0;
  size_t clients_normal = 0;
  size_t overhead = 0;  // startup + clients + keyspace structures
  size_t dataset = 0;   // used - overhead
  double dataset_perc = 0;
  double peak_perc = 0;
  size_t allocator_allocated = 0;
  size_t allocator_active = 0;
  size_t allocator_resident = 0;
  size_t keys = 0;
  struct Db {
    int index;
    size_t main;     // the keys table and the key entries
    size_t expires;  // the expires table and its entries
  };
  std::vector<Db> dbs;  // non-empty databases only
};
MemoryOverview ComputeMemoryOverview(Server& server);

// Redis's bytesToHuman: "1023B", "1.00K", "1.50M", ...
std::string BytesToHuman(uint64_t n);

}  // namespace ember
