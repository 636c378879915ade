#include "server/command_stream.h"

#include <array>

#include "protocol/reply_builder.h"

namespace ember {
namespace {

void Select(ReplyBuilder& resp, int* selected_db, int db_index) {
  if (db_index == *selected_db) return;
  const std::string db = std::to_string(db_index);
  resp.Command(std::array<std::string_view, 2>{"SELECT", db});
  *selected_db = db_index;
}

}  // namespace

void EncodePropagated(std::string* out, int* selected_db, int db_index,
                      const std::vector<std::vector<std::string>>& effects,
                      std::span<const std::string_view> original) {
  ReplyBuilder resp(out);
  Select(resp, selected_db, db_index);
  if (effects.empty()) {
    resp.Command(original);
  } else if (effects.size() == 1) {
    resp.Command(effects[0]);
  } else {
    resp.Command(std::array<std::string_view, 1>{"MULTI"});
    for (const auto& e : effects) resp.Command(e);
    resp.Command(std::array<std::string_view, 1>{"EXEC"});
  }
}

void EncodePropagatedTransaction(std::string* out, int* selected_db,
                                 std::span<const PropagatedCommand> commands) {
  if (commands.empty()) return;
  ReplyBuilder resp(out);
  Select(resp, selected_db, commands.front().db_index);
  resp.Command(std::array<std::string_view, 1>{"MULTI"});
  for (const PropagatedCommand& c : commands) {
    Select(resp, selected_db, c.db_index);
    resp.Command(c.argv);
  }
  resp.Command(std::array<std::string_view, 1>{"EXEC"});
}

}  // namespace ember
