// Golden configs: each folder under tests/golden/config holds YAML files and expected.txt,
// the exact diagnostics (one format() line each, paths relative to the folder).
// QIAO_GOLDEN_UPDATE=1 rewrites expected.txt from the actual output (review the diff!).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qiao/config/config.h"
#include "test_registry.h"

namespace qiao::config {
namespace {

namespace fs = std::filesystem;

const char* const kSecretValues[] = {"golden-secret-value", "erp-token-from-file",
                                     "admin-literal-key", "abc123"};

std::vector<std::string> caseNames() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(QIAO_CONFIG_GOLDEN_DIR))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

void stripAll(std::string* s, const std::string& what) {
  for (size_t p; (p = s->find(what)) != std::string::npos;) s->erase(p, what.size());
}

class GoldenConfig : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    setenv("QIAO_GOLDEN_TOKEN", "golden-secret-value", 1);
    unsetenv("QIAO_GOLDEN_UNSET");
  }
};

TEST_P(GoldenConfig, MatchesExpectedDiagnostics) {
  const std::string dir = std::string(QIAO_CONFIG_GOLDEN_DIR) + "/" + GetParam();
  const std::string expected_path = dir + "/expected.txt";
  auto registry = testing::makeTestRegistry();
  LoadResult result = loadConfig(dir, registry);
  std::vector<std::string> actual;
  for (const auto& d : result.diagnostics) {
    std::string line = d.format();
    stripAll(&line, dir + "/");
    actual.push_back(line);
    for (const char* secret : kSecretValues)
      EXPECT_EQ(line.find(secret), std::string::npos) << "secret leaked: " << line;
  }
  EXPECT_EQ(result.config.has_value(), result.diagnostics.empty());

  if (const char* update = std::getenv("QIAO_GOLDEN_UPDATE"); update && *update == '1') {
    std::ofstream out(expected_path, std::ios::trunc);
    for (const auto& l : actual) out << l << "\n";
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
  std::vector<std::string> expected = readLines(expected_path);
  std::ostringstream got;
  for (const auto& l : actual) got << "  " << l << "\n";
  EXPECT_EQ(actual, expected) << "actual diagnostics:\n" << got.str();
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenConfig, ::testing::ValuesIn(caseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(GoldenConfigSet, HasEnoughCases) {
  EXPECT_GE(caseNames().size(), 13u);
}

}  // namespace
}  // namespace qiao::config
