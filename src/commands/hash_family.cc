// Hash commands (placeholder: the hash type is being built).
#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterHashFamily(CommandTable&) {}

}  // namespace ember
