// Every command family registers its commands in one function at the bottom of its file.
#pragma once

namespace ember {
class CommandTable;

void RegisterStringFamily(CommandTable& table);   // string_family.cc
void RegisterBitmapFamily(CommandTable& table);   // bitmap_family.cc
void RegisterGenericFamily(CommandTable& table);  // generic_family.cc (keys, expiry, scan)
void RegisterListFamily(CommandTable& table);     // list_family.cc
void RegisterHashFamily(CommandTable& table);     // hash_family.cc
void RegisterSetFamily(CommandTable& table);      // set_family.cc
void RegisterZSetFamily(CommandTable& table);     // zset_family.cc
void RegisterSortFamily(CommandTable& table);     // sort_family.cc (SORT, SORT_RO)

}  // namespace ember
