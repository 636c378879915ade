// notify-keyspace-events: the class string <-> bitmask conversion shared by the configuration
// and the server, against Redis 7.0's keyspaceEventsStringToFlags / keyspaceEventsFlagsToString.
#include "common/notify.h"

#include <gtest/gtest.h>

#include <string>

namespace ember {
namespace {

TEST(KeyspaceEventsFlags, RoundTrip) {
  EXPECT_EQ(KeyspaceEventsStringToFlags(""), 0);
  EXPECT_EQ(KeyspaceEventsStringToFlags("KEA"), notify::kKeyspace | notify::kKeyevent | notify::kAll);
  EXPECT_EQ(KeyspaceEventsStringToFlags("Kl"), notify::kKeyspace | notify::kList);
  EXPECT_EQ(KeyspaceEventsStringToFlags("Exn"), notify::kKeyevent | notify::kExpired | notify::kNew);
  EXPECT_EQ(KeyspaceEventsStringToFlags("g$lshzxetmdKEn"),
            notify::kAll | notify::kKeyspace | notify::kKeyevent | notify::kKeyMiss |
                notify::kNew);
  EXPECT_EQ(KeyspaceEventsStringToFlags("KEq"), -1);
  EXPECT_EQ(KeyspaceEventsStringToFlags("k"), -1);  // case matters
  // A excludes m and n.
  EXPECT_EQ(KeyspaceEventsStringToFlags("A") & (notify::kKeyMiss | notify::kNew), 0);

  // The canonical string, as Redis 7.0's CONFIG GET.
  EXPECT_EQ(KeyspaceEventsFlagsToString(0), "");
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("EKA")), "AKE");
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("lK")), "lK");
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("Exg$")), "g$xE");
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("KEn")), "nKE");
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("KEAm")), "AKEm");
  // Redis 7.0 drops n after A when printing (the flag itself stays set).
  EXPECT_EQ(KeyspaceEventsFlagsToString(KeyspaceEventsStringToFlags("KEAn")), "AKE");
  // Every single class survives a round trip.
  for (char c : std::string("g$lshzxetmdKEn")) {
    const int f = KeyspaceEventsStringToFlags(std::string(1, c));
    EXPECT_EQ(KeyspaceEventsStringToFlags(KeyspaceEventsFlagsToString(f)), f) << c;
  }
}

}  // namespace
}  // namespace ember
