// The thresholds at which aggregate values switch from their compact encoding to the scalable
// one (Redis's *-max-listpack-* / set-max-intset-entries directives). One set in force per
// process, as Redis's server.* fields: every type reads it when it grows, and the RDB loader
// reads it to choose the encoding of what it loads. The server's configuration holds the set
// (ServerConfig::encoding, written by the config file and CONFIG SET) and installs it with
// UseEncodingLimits; without a server (unit tests) a process-wide default set is in force.
#pragma once

#include <cstdint>

namespace ember {

struct EncodingLimits {
  // Positive: entries per quicklist node; -1..-5: node size 4/8/16/32/64 KB.
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
};

namespace encoding_limits_internal {
inline EncodingLimits& Defaults() {
  static EncodingLimits defaults;
  return defaults;
}
inline EncodingLimits*& Current() {
  static EncodingLimits* current = &Defaults();
  return current;
}
}  // namespace encoding_limits_internal

// The limits in force.
inline EncodingLimits& Limits() { return *encoding_limits_internal::Current(); }

// Puts `limits` in force (read in place, so later changes to it apply at once); nullptr goes back
// to the default set. REQUIRES: `limits` outlives its use, or is replaced first.
inline void UseEncodingLimits(EncodingLimits* limits) {
  encoding_limits_internal::Current() = limits ? limits : &encoding_limits_internal::Defaults();
}

}  // namespace ember
