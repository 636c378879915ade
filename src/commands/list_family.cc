// List commands (placeholder: the list type is being built).
#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterListFamily(CommandTable&) {}

}  // namespace ember
