// cmsgpack and struct for scripts. Lua errors longjmp, so the functions raise only when no C++
// object with a destructor is alive (the decoders report errors by return value).
#include "server/script_libs.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace ember {

namespace {

// --- cmsgpack ---------------------------------------------------------------------------------

constexpr int kMaxNesting = 16;  // deeper tables encode as nil, as lua_cmsgpack

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void EncodeInt(std::string* out, int64_t n) {
  if (n >= 0) {
    const auto u = static_cast<uint64_t>(n);
    if (u <= 127) {
      out->push_back(static_cast<char>(u));
    } else if (u <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBE(out, u, 1);
    } else if (u <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBE(out, u, 2);
    } else if (u <= 0xffffffffULL) {
      out->push_back(static_cast<char>(0xce));
      PutBE(out, u, 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBE(out, u, 8);
    }
  } else if (n >= -32) {
    out->push_back(static_cast<char>(static_cast<int8_t>(n)));
  } else if (n >= -128) {
    out->push_back(static_cast<char>(0xd0));
    PutBE(out, static_cast<uint64_t>(n), 1);
  } else if (n >= -32768) {
    out->push_back(static_cast<char>(0xd1));
    PutBE(out, static_cast<uint64_t>(n), 2);
  } else if (n >= -2147483648LL) {
    out->push_back(static_cast<char>(0xd2));
    PutBE(out, static_cast<uint64_t>(n), 4);
  } else {
    out->push_back(static_cast<char>(0xd3));
    PutBE(out, static_cast<uint64_t>(n), 8);
  }
}

void EncodeNumber(std::string* out, double d) {
  if (!std::isinf(d) && !std::isnan(d) && d >= -9.2e18 && d <= 9.2e18 &&
      static_cast<double>(static_cast<int64_t>(d)) == d) {
    return EncodeInt(out, static_cast<int64_t>(d));
  }
  const auto f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out->push_back(static_cast<char>(0xca));
    PutBE(out, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    out->push_back(static_cast<char>(0xcb));
    PutBE(out, bits, 8);
  }
}

void EncodeLen(std::string* out, size_t len, uint8_t fix, size_t fix_max, uint8_t c8, uint8_t c16,
               uint8_t c32) {
  if (len <= fix_max) {
    out->push_back(static_cast<char>(fix | len));
  } else if (c8 && len <= 0xff) {
    out->push_back(static_cast<char>(c8));
    PutBE(out, len, 1);
  } else if (len <= 0xffff) {
    out->push_back(static_cast<char>(c16));
    PutBE(out, len, 2);
  } else {
    out->push_back(static_cast<char>(c32));
    PutBE(out, len, 4);
  }
}

// A table is an array when its keys are exactly 1..n.
bool IsArray(lua_State* L, size_t* n) {
  size_t count = 0;
  double max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    double k = lua_tonumber(L, -1);
    if (k <= 0 || std::floor(k) != k) {
      lua_pop(L, 1);
      return false;
    }
    if (k > max) max = k;
    ++count;
  }
  *n = count;
  return max == static_cast<double>(count);
}

void Encode(lua_State* L, std::string* out, int level) {
  switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER:
      EncodeNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeLen(out, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
      out->append(s, len);
      break;
    }
    case LUA_TTABLE: {
      if (level >= kMaxNesting || !lua_checkstack(L, 4)) {
        out->push_back(static_cast<char>(0xc0));
        break;
      }
      size_t n = 0;
      if (IsArray(L, &n)) {
        EncodeLen(out, n, 0x90, 15, 0, 0xdc, 0xdd);
        for (size_t i = 1; i <= n; ++i) {
          lua_rawgeti(L, -1, static_cast<int>(i));
          Encode(L, out, level + 1);
          lua_pop(L, 1);
        }
      } else {
        size_t pairs = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          ++pairs;
        }
        EncodeLen(out, pairs, 0x80, 15, 0, 0xde, 0xdf);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          Encode(L, out, level + 1);  // key
          lua_pop(L, 1);
          Encode(L, out, level + 1);  // value
          lua_pop(L, 1);
        }
      }
      break;
    }
    default:  // nil, functions, userdata...
      out->push_back(static_cast<char>(0xc0));
  }
}

int MsgpackPack(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, argc + 4))
    return luaL_error(L, "Too many arguments for MessagePack pack.");
  {
    std::string out;
    for (int i = 1; i <= argc; ++i) {
      lua_pushvalue(L, i);
      Encode(L, &out, 0);
      lua_pop(L, 1);
    }
    lua_pushlstring(L, out.data(), out.size());
  }
  return 1;
}

enum class DecodeError { kNone, kEof, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err = DecodeError::kNone;

  bool Need(size_t n) {
    if (left < n) err = DecodeError::kEof;
    return left >= n;
  }
  uint64_t BE(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    p += bytes;
    left -= static_cast<size_t>(bytes);
    return v;
  }
};

void Decode(lua_State* L, Cursor* c);

void DecodeString(lua_State* L, Cursor* c, size_t len) {
  if (!c->Need(len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p), len);
  c->p += len;
  c->left -= len;
}

void DecodeArray(lua_State* L, Cursor* c, size_t n) {
  lua_newtable(L);
  for (size_t i = 1; i <= n && c->err == DecodeError::kNone; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    Decode(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t n) {
  lua_newtable(L);
  for (size_t i = 0; i < n && c->err == DecodeError::kNone; ++i) {
    Decode(L, c);
    if (c->err != DecodeError::kNone) return;
    Decode(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void Decode(lua_State* L, Cursor* c) {
  if (!lua_checkstack(L, 4)) {
    c->err = DecodeError::kBadFormat;
    return;
  }
  if (!c->Need(1)) return;
  const unsigned char t = c->p[0];
  ++c->p;
  --c->left;
  auto need_be = [&](int bytes, uint64_t* v) {
    if (!c->Need(static_cast<size_t>(bytes))) return false;
    *v = c->BE(bytes);
    return true;
  };
  uint64_t v = 0;
  if (t <= 0x7f) return lua_pushnumber(L, t);
  if (t >= 0xe0) return lua_pushnumber(L, static_cast<int8_t>(t));
  if ((t & 0xe0) == 0xa0) return DecodeString(L, c, t & 0x1f);
  if ((t & 0xf0) == 0x90) return DecodeArray(L, c, t & 0x0f);
  if ((t & 0xf0) == 0x80) return DecodeMap(L, c, t & 0x0f);
  switch (t) {
    case 0xc0:
      return lua_pushnil(L);
    case 0xc2:
      return lua_pushboolean(L, 0);
    case 0xc3:
      return lua_pushboolean(L, 1);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      if (need_be(1 << (t - 0xcc), &v)) lua_pushnumber(L, static_cast<lua_Number>(v));
      return;
    case 0xd0:
      if (need_be(1, &v)) lua_pushnumber(L, static_cast<int8_t>(v));
      return;
    case 0xd1:
      if (need_be(2, &v)) lua_pushnumber(L, static_cast<int16_t>(v));
      return;
    case 0xd2:
      if (need_be(4, &v)) lua_pushnumber(L, static_cast<int32_t>(v));
      return;
    case 0xd3:
      if (need_be(8, &v)) lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
      return;
    case 0xca:
      if (need_be(4, &v)) {
        float f;
        auto bits = static_cast<uint32_t>(v);
        std::memcpy(&f, &bits, 4);
        lua_pushnumber(L, f);
      }
      return;
    case 0xcb:
      if (need_be(8, &v)) {
        double d;
        std::memcpy(&d, &v, 8);
        lua_pushnumber(L, d);
      }
      return;
    case 0xd9:
    case 0xc4:
      if (need_be(1, &v)) DecodeString(L, c, v);
      return;
    case 0xda:
    case 0xc5:
      if (need_be(2, &v)) DecodeString(L, c, v);
      return;
    case 0xdb:
    case 0xc6:
      if (need_be(4, &v)) DecodeString(L, c, v);
      return;
    case 0xdc:
      if (need_be(2, &v)) DecodeArray(L, c, v);
      return;
    case 0xdd:
      if (need_be(4, &v)) DecodeArray(L, c, v);
      return;
    case 0xde:
      if (need_be(2, &v)) DecodeMap(L, c, v);
      return;
    case 0xdf:
      if (need_be(4, &v)) DecodeMap(L, c, v);
      return;
    default:
      c->err = DecodeError::kBadFormat;
  }
}

// unpack (decode_all), unpack_one (limit 1) and unpack_limit: the values, preceded by the next
// offset (-1 at the end) unless decoding everything.
int UnpackFull(lua_State* L, int limit, int offset, bool decode_all) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT32_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset)};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    Decode(L, &c);
    if (c.err == DecodeError::kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
    lua_insert(L, -(count + 1));
    ++count;
  }
  return count;
}

int MsgpackUnpack(lua_State* L) {
  lua_settop(L, 1);
  return UnpackFull(L, 0, 0, true);
}

int MsgpackUnpackOne(lua_State* L) {
  int offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset, false);
}

int MsgpackUnpackLimit(lua_State* L) {
  int limit = static_cast<int>(luaL_checkinteger(L, 2));
  int offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset, false);
}

// --- struct -----------------------------------------------------------------------------------

constexpr int kMaxIntSize = 32;

struct Header {
  bool little;
  int align;
};

bool IsDigit(int c) { return c >= '0' && c <= '9'; }

int GetNum(const char** fmt, int df) {
  if (!IsDigit(**fmt)) return df;
  int a = 0;
  do {
    a = a * 10 + *((*fmt)++) - '0';
  } while (IsDigit(**fmt) && a <= (INT32_MAX - 9) / 10);
  return a;
}

size_t OptSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
      return 8;
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(GetNum(fmt, 1));
    case 'i':
    case 'I': {
      int sz = GetNum(fmt, sizeof(int));
      if (sz > kMaxIntSize)
        luaL_error(L, "integral size %d is larger than limit of %d", sz, kMaxIntSize);
      return static_cast<size_t>(sz);
    }
    default:
      return 0;  // other options (s, space, endianness) take no fixed room
  }
}

int Gap(const Header& h, size_t len, size_t size) {
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  if (size == 0) return 0;
  return static_cast<int>((size - (len & (size - 1))) & (size - 1));
}

void ControlOptions(lua_State* L, int opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h->little = false;
      return;
    case '<':
      h->little = true;
      return;
    case '!': {
      int a = GetNum(fmt, 8);
      if (a & (a - 1)) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

void PutInteger(luaL_Buffer* b, lua_Number n, bool little, int size) {
  char buf[kMaxIntSize];
  auto value = static_cast<uint64_t>(static_cast<int64_t>(n));
  if (n >= 0 && n > 9.2e18) value = static_cast<uint64_t>(n);
  for (int i = 0; i < size; ++i) {
    buf[little ? i : size - 1 - i] = static_cast<char>(
        i < 8 ? (value >> (8 * i)) & 0xff : (static_cast<int64_t>(value) < 0 ? 0xff : 0));
  }
  luaL_addlstring(b, buf, static_cast<size_t>(size));
}

void Correctbytes(char* p, int size, bool little) {
  const bool native_little = true;  // x86-64 / aarch64 little-endian hosts
  if (little != native_little) {
    for (int i = 0; i < size / 2; ++i) std::swap(p[i], p[size - 1 - i]);
  }
}

template <typename T>
void AddFloat(luaL_Buffer* b, T v, bool little) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  Correctbytes(buf, sizeof(T), little);
  luaL_addlstring(b, buf, sizeof(T));
}

template <typename T>
T ReadFloat(const char* p, bool little) {
  char buf[sizeof(T)];
  std::memcpy(buf, p, sizeof(T));
  Correctbytes(buf, sizeof(T), little);
  T v;
  std::memcpy(&v, buf, sizeof(T));
  return v;
}

int StructPack(lua_State* L) {
  luaL_Buffer b;
  const char* fmt = luaL_checkstring(L, 1);
  Header h{true, 1};
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // mark to separate arguments from the string buffer
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    int opt = *fmt++;
    size_t size = OptSize(L, static_cast<char>(opt), &fmt);
    int toalign = Gap(h, total, size);
    total += static_cast<size_t>(toalign);
    while (toalign-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PutInteger(&b, luaL_checknumber(L, arg++), h.little, static_cast<int>(size));
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f':
        AddFloat(&b, static_cast<float>(luaL_checknumber(L, arg++)), h.little);
        break;
      case 'd':
        AddFloat(&b, static_cast<double>(luaL_checknumber(L, arg++)), h.little);
        break;
      case 'c':
      case 's': {
        size_t l;
        const char* s = luaL_checklstring(L, arg++, &l);
        if (size == 0) size = l;
        luaL_argcheck(L, l >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          size++;
        }
        break;
      }
      default:
        ControlOptions(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

lua_Number GetInteger(const char* buff, bool little, bool is_signed, int size) {
  uint64_t l = 0;
  for (int i = 0; i < size; ++i) {
    l <<= 8;
    l |= static_cast<unsigned char>(buff[little ? size - i - 1 : i]);
  }
  if (!is_signed) return static_cast<lua_Number>(l);
  if (size < 8) {
    const uint64_t mask = ~0ULL << (size * 8 - 1);
    if (l & mask) l |= mask;  // sign extension
  }
  return static_cast<lua_Number>(static_cast<int64_t>(l));
}

int StructUnpack(lua_State* L) {
  Header h{true, 1};
  const char* fmt = luaL_checkstring(L, 1);
  size_t ld;
  const char* data = luaL_checklstring(L, 2, &ld);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1)) - 1;
  luaL_argcheck(L, pos <= ld, 3, "offset must be 1 or greater");
  lua_settop(L, 2);
  while (*fmt) {
    int opt = *fmt++;
    size_t size = OptSize(L, static_cast<char>(opt), &fmt);
    pos += static_cast<size_t>(Gap(h, pos, size));
    luaL_argcheck(L, pos + size <= ld, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        bool is_signed = std::islower(opt);
        lua_pushnumber(L, GetInteger(data + pos, h.little, is_signed, static_cast<int>(size)));
        break;
      }
      case 'x':
        break;
      case 'f':
        lua_pushnumber(L, ReadFloat<float>(data + pos, h.little));
        break;
      case 'd':
        lua_pushnumber(L, ReadFloat<double>(data + pos, h.little));
        break;
      case 'c':
        if (size == 0) {
          if (lua_gettop(L) == 2 || !lua_isnumber(L, -1)) {
            luaL_error(L, "format 'c0' needs a previous size");
          }
          size = static_cast<size_t>(lua_tonumber(L, -1));
          lua_pop(L, 1);
          luaL_argcheck(L, pos + size <= ld, 2, "data string too short");
        }
        lua_pushlstring(L, data + pos, size);
        break;
      case 's': {
        const char* e = static_cast<const char*>(std::memchr(data + pos, '\0', ld - pos));
        if (e == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(e - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        break;
      }
      default:
        ControlOptions(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return lua_gettop(L) - 2;
}

int StructSize(lua_State* L) {
  Header h{true, 1};
  const char* fmt = luaL_checkstring(L, 1);
  size_t pos = 0;
  while (*fmt) {
    int opt = *fmt++;
    size_t size = OptSize(L, static_cast<char>(opt), &fmt);
    pos += static_cast<size_t>(Gap(h, pos, size));
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (!std::isalnum(opt)) ControlOptions(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

// Pushes a new table holding the functions (luaL_register without touching globals).
void NewLibrary(lua_State* L, const luaL_Reg* fns) {
  lua_newtable(L);
  for (const luaL_Reg* r = fns; r->name; ++r) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  const luaL_Reg fns[] = {{"pack", MsgpackPack},
                          {"unpack", MsgpackUnpack},
                          {"unpack_one", MsgpackUnpackOne},
                          {"unpack_limit", MsgpackUnpackLimit},
                          {nullptr, nullptr}};
  NewLibrary(L, fns);
  lua_pushstring(L, "lua-cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushstring(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushstring(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushstring(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

int OpenStruct(lua_State* L) {
  const luaL_Reg fns[] = {
      {"pack", StructPack}, {"unpack", StructUnpack}, {"size", StructSize}, {nullptr, nullptr}};
  NewLibrary(L, fns);
  return 1;
}

}  // namespace ember
