// The thresholds at which aggregate values switch from their compact encoding to the scalable
// one (Redis's *-max-listpack-* / set-max-intset-entries directives). One set per process, as
// Redis's server.* fields: the configuration writes it, every type reads it when it grows, and
// the RDB loader reads it to choose the encoding of what it loads.
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

inline EncodingLimits& Limits() {
  static EncodingLimits limits;
  return limits;
}

}  // namespace ember
