#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterAllCommands(CommandTable& table) {
  RegisterStringFamily(table);
  RegisterBitmapFamily(table);
  RegisterGenericFamily(table);
}

}  // namespace ember
