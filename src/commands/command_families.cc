#include "commands/command.h"
#include "commands/command_families.h"

namespace ember {

void RegisterAllCommands(CommandTable& table) {
  RegisterStringFamily(table);
  RegisterBitmapFamily(table);
  RegisterGenericFamily(table);
  RegisterListFamily(table);
  RegisterHashFamily(table);
  RegisterSetFamily(table);
  RegisterZSetFamily(table);
  RegisterSortFamily(table);
}

}  // namespace ember
