// The keyspace hash function: seeded per process (so a client cannot pick colliding keys ahead
// of time) and fast on short keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember {

uint64_t HashBytes(std::string_view data);
void SetHashSeed(uint64_t seed);

}  // namespace ember
