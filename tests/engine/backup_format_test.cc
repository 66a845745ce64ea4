// The backup manifest and object names (docs/format/backup.md v1): a manifest round-trips, and
// each kind of damage is Corruption naming the file, never a half-read manifest.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/backup.h"
#include "engine/backup_internal.h"

namespace strata::engine {
namespace {

using namespace backup_internal;

BackupManifest Sample() {
  BackupManifest m;
  m.id = "20260102T030405.678Z";
  m.system_time_ns = 1'767'323'045'678'000'000;
  m.created_ns = 1'767'323'045'678'901'234;
  m.new_files = 1;
  m.new_bytes = 1323;
  m.files = {{"catalog/CURRENT", 16, 0x438a8445e8e224c9},
             {"chunks/eu/2026-01-01/0000000000000001.chunk", 1323, 0xd9a426411be0c03f},
             {"wal/00000000000000000003.log", 0, 0x2d06800538d394c2}};
  return m;
}

TEST(BackupFormatTest, ManifestRoundTrips) {
  const BackupManifest m = Sample();
  auto decoded = DecodeManifest(EncodeManifest(m), "m");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, m.id);
  EXPECT_EQ(decoded->system_time_ns, m.system_time_ns);
  EXPECT_EQ(decoded->created_ns, m.created_ns);
  EXPECT_EQ(decoded->new_bytes, m.new_bytes);
  ASSERT_EQ(decoded->files.size(), 3u);
  EXPECT_EQ(decoded->files[1].path, m.files[1].path);
  EXPECT_EQ(decoded->files[1].checksum, m.files[1].checksum);
  EXPECT_EQ(decoded->files[1].ObjectPath(), "objects/d9a426411be0c03f-1323");
  EXPECT_EQ(decoded->bytes(), 16u + 1323u);
}

TEST(BackupFormatTest, EachKindOfDamageIsCorruptionNamingTheFile) {
  const std::string good = EncodeManifest(Sample());
  struct Case {
    const char* name;
    std::string text;
  };
  std::string flipped = good;
  flipped[good.find("1323")] = '9';
  std::string torn = good.substr(0, good.size() / 2);
  std::string no_checksum = good.substr(0, good.rfind("checksum "));
  const std::vector<Case> cases = {
      {"a changed size", flipped},
      {"torn in the middle", torn},
      {"no checksum line", no_checksum},
      {"empty", ""},
      {"another format", "strata-backup-manifest 2\nchecksum 0000000000000000\n"},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeManifest(c.text, "backups/x/manifest");
    ASSERT_FALSE(decoded.ok()) << c.name;
    EXPECT_TRUE(decoded.status().IsCorruption()) << c.name;
    EXPECT_NE(decoded.status().message().find("backups/x/manifest"), std::string::npos) << c.name;
  }
}

TEST(BackupFormatTest, ObjectNamesParseOnlyWhenWellFormed) {
  uint64_t checksum = 0, size = 0;
  EXPECT_EQ(ObjectName(0xd9a426411be0c03f, 1323), "d9a426411be0c03f-1323");
  EXPECT_TRUE(ParseObjectName("d9a426411be0c03f-1323", &checksum, &size));
  EXPECT_EQ(checksum, 0xd9a426411be0c03fu);
  EXPECT_EQ(size, 1323u);
  for (const char* bad : {"d9a426411be0c03f", "d9a426411be0c03-1323", "d9a426411be0c03fx-1",
                          "d9a426411be0c03f-", "d9a426411be0c03f-12a", "LOCK"}) {
    EXPECT_FALSE(ParseObjectName(bad, &checksum, &size)) << bad;
  }
}

}  // namespace
}  // namespace strata::engine
