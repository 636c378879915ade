// The Lua libraries Redis bundles that Debian does not package for Lua 5.1, written for Ember
// with the same Lua API: cmsgpack (MessagePack pack/unpack, as lua_cmsgpack) and struct (binary
// pack/unpack with format strings, as Roberto Ierusalimschy's struct library).
#pragma once

struct lua_State;

namespace ember {

// Both push their library table (like luaopen_*) and return 1.
int OpenCmsgpack(lua_State* L);
int OpenStruct(lua_State* L);

}  // namespace ember
