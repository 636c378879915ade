// Set commands (placeholder: the set type is being built).
#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterSetFamily(CommandTable&) {}

}  // namespace ember
