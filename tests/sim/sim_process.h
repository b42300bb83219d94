// The qiao-sim child a simulator test talks to: started on a loopback port, its output kept in
// <prefix>-<n>.out in the test's TempDir (n counts the starts in this test binary, so files of
// several simulators in one test never collide). Each test's Sim derives from it and adds the
// calls of the simulator it tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qiao/testkit/testkit.h"

namespace sim_test {

class SimProcess {
 public:
  SimProcess(const qiao::testkit::TempDir& dir, const std::string& out_prefix,
             std::vector<std::string> extra) {
    out_ = dir.file(out_prefix + "-" + std::to_string(++starts_) + ".out");
    std::string text;
    port_ = qiao::testkit::startQiaoSim(&child_, out_, extra, &text);
    EXPECT_GT(port_, 0) << text;
  }
  int port() const { return port_; }
  qiao::testkit::Child& child() { return *child_; }
  const std::string& output() const { return out_; }

 private:
  static inline int starts_ = 0;
  std::string out_;
  std::unique_ptr<qiao::testkit::Child> child_;
  int port_ = 0;
};

}  // namespace sim_test
