// The sink conformance suite: one set of GoogleTest checks every sink connector must pass
// (STYLE.md habit 10). A connector describes how to build its sink and how to observe and
// disturb its target in a SinkConformanceCase, then instantiates the suite in one line:
//
//   QIAO_SINK_CONFORMANCE(Http, makeHttpCase());
//
// Every hook but make_sink is optional; a check that needs a missing hook skips and says why.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "qiao/core/record.h"
#include "qiao/core/result.h"
#include "qiao/sdk/connector.h"

namespace qiao::testkit {

// The failure the target is asked to produce for the next delivery.
enum class SinkFault {
  kTransient,  // e.g. HTTP 503: worth retrying
  kPermanent,  // e.g. HTTP 400: the target rejects the record
};

struct SinkConformanceCase {
  std::string name;  // shows in test names: <Prefix>/SinkConformanceTest.<Check>/<name>
  // Builds a fresh sink under test, pointed at a live target.
  std::function<Result<std::unique_ptr<sdk::Sink>>()> make_sink;
  // How many distinct effects (writes) the target has recorded so far. Checks use the
  // difference from the start of each test, so the count need not be reset.
  std::function<int64_t()> effects;
  // Makes the next delivery fail once with the given class.
  std::function<void(SinkFault)> set_fault;
  // Called before each check: clear faults (and counts) in the target.
  std::function<void()> reset;
  // Called on every record the suite builds, just before it is delivered. A target without
  // a fault switch can implement set_fault by marking the next record here.
  std::function<void(Record&)> prepare;
  // A configured secret (token, password) that must never appear in an error message or a
  // health detail. Empty: the secret check skips.
  std::string secret;
  // True: delivering a key again returns the remote id of the first delivery (when the
  // target returns ids at all). Turn off for targets whose duplicate replies carry no id.
  bool stable_remote_ids = true;
};

// gtest prints parameters; a case prints as its name.
void PrintTo(const SinkConformanceCase& c, std::ostream* os);
// Test-name suffix: the case name with non-alphanumerics turned into '_'.
std::string sinkConformanceCaseName(const ::testing::TestParamInfo<SinkConformanceCase>& info);

class SinkConformanceTest : public ::testing::TestWithParam<SinkConformanceCase> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A record with a key unique to this test ("<test>-<suffix>"), passed through prepare.
  // Building it again with the same suffix gives the same idempotency key.
  Record record(const std::string& suffix);
  // Delivers and remembers any error message (and the sink's health details) for the
  // secret check in TearDown.
  Result<sdk::Delivery> deliver(sdk::Sink& sink, const Record& r);
  void noteError(const Error& e);
  void noteText(const std::string& text);
  // Effects since SetUp; only valid when the case has an effects hook.
  int64_t effectsSinceStart();
  std::unique_ptr<sdk::Sink> makeSink();

  const SinkConformanceCase& c() const { return GetParam(); }

  std::string prefix_;
  int64_t effects_base_ = 0;
  std::mutex seen_mu_;
  std::vector<std::string> seen_;  // every error message and health detail of this test
};

}  // namespace qiao::testkit

// Instantiates the suite for one connector; use at namespace scope. gtest pastes the suite
// name into identifiers, so the instantiation sits inside qiao::testkit. Referencing
// sinkConformanceCaseName also makes the linker keep the suite's object file from the
// static library. case_expr runs while tests register (also for --gtest_list_tests): keep
// it cheap and start targets lazily inside the hooks.
#define QIAO_SINK_CONFORMANCE(prefix, case_expr)                                   \
  namespace qiao::testkit {                                                        \
  INSTANTIATE_TEST_SUITE_P(prefix, SinkConformanceTest, ::testing::Values(case_expr), \
                           sinkConformanceCaseName);                               \
  }                                                                                \
  static_assert(true, "")
