// ZSet commands (placeholder: the zset type is being built).
#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterZSetFamily(CommandTable&) {}

}  // namespace ember
