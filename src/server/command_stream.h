// The RESP form of propagated writes, shared by the replication stream and the AOF: SELECT when
// the database changes from the stream's last one, MULTI/EXEC around a command's several effects
// or a transaction's writes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// One command of a propagated stream and the database it applies to.
struct PropagatedCommand {
  int db_index = 0;
  std::vector<std::string> argv;
  // Where it goes (a script's redis.set_repl may keep it from either).
  bool to_aof = true;
  bool to_replicas = true;
};

// A write's effects (or its original argv when it has none). `selected_db` is the stream's
// current database (-1: unknown, a SELECT is always emitted); it is updated.
void EncodePropagated(std::string* out, int* selected_db, int db_index,
                      const std::vector<std::vector<std::string>>& effects,
                      std::span<const std::string_view> original);
// A transaction's or a script's writes, in order, as one MULTI ... EXEC block.
void EncodePropagatedTransaction(std::string* out, int* selected_db,
                                 std::span<const PropagatedCommand> commands);

}  // namespace ember
