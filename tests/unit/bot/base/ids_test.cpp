#include "bot/base/ids.h"

#include <set>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Ids, UuidsAreV4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_uuid();
    EXPECT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Ids, IsUuidRejectsPathTricks) {
  EXPECT_FALSE(is_uuid("../../etc/passwd"));
  EXPECT_FALSE(is_uuid("0b8f2c1e-1111-4222-8333-44445555666/"));
  EXPECT_FALSE(is_uuid("0b8f2c1e-1111-4222-8333-4444555566667"));
  EXPECT_FALSE(is_uuid("0b8f2c1e_1111-4222-8333-444455556666"));
  EXPECT_TRUE(is_uuid("0b8f2c1e-1111-4222-8333-444455556666"));
}

TEST(Ids, RandomHexAndSha256) {
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace vigil
