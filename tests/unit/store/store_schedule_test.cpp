// Schedule runs: one fire time runs once across processes; a dead holder's lease can be taken
// over; the last outcome is kept.
#include "store_test_util.h"

namespace qiao::store::testing {
namespace {

TEST_F(StoreTest, AFireTimeIsTakenOnceAndItsOutcomeKept) {
  auto first = store_->beginScheduleRun("pull", "w1", kT0, kT0 + 1, kT0 + 60000);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  // Another process sees the same fire time: already taken.
  auto again = store_->beginScheduleRun("pull", "w2", kT0, kT0 + 2, kT0 + 60000);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  // The next fire time while w1 still runs: w1 holds the schedule (no overlap).
  auto overlap = store_->beginScheduleRun("pull", "w2", kT0 + 1000, kT0 + 1001, kT0 + 60000);
  ASSERT_TRUE(overlap.ok());
  EXPECT_FALSE(*overlap);

  auto runs = store_->listScheduleRuns();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  EXPECT_EQ((*runs)[0].outcome, "running");
  EXPECT_EQ((*runs)[0].running_by, "w1");

  // Only the holder can finish it.
  ASSERT_TRUE(store_->finishScheduleRun("pull", "w2", "ok", "", 5, kT0 + 3).ok());
  runs = store_->listScheduleRuns();
  EXPECT_EQ((*runs)[0].outcome, "running");
  ASSERT_TRUE(store_->finishScheduleRun("pull", "w1", "failed", "K/3 timed out", 12, kT0 + 4).ok());
  runs = store_->listScheduleRuns();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  const ScheduleRun& r = (*runs)[0];
  EXPECT_EQ(r.outcome, "failed");
  EXPECT_EQ(r.detail, "K/3 timed out");
  EXPECT_EQ(r.records, 12);
  EXPECT_EQ(r.last_due_ms, kT0);
  EXPECT_EQ(r.last_started_ms, kT0 + 1);
  EXPECT_EQ(r.last_finished_ms, kT0 + 4);
  EXPECT_TRUE(r.running_by.empty());

  auto next = store_->beginScheduleRun("pull", "w2", kT0 + 1000, kT0 + 1001, kT0 + 60000);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(*next);
}

TEST_F(StoreTest, AnExpiredScheduleLeaseCanBeTakenOver) {
  ASSERT_TRUE(*store_->beginScheduleRun("pull", "w1", kT0, kT0, kT0 + 100));
  // w1 was killed: its lease ends at kT0 + 100.
  EXPECT_FALSE(*store_->beginScheduleRun("pull", "w2", kT0 + 50, kT0 + 50, kT0 + 1000));
  EXPECT_TRUE(*store_->beginScheduleRun("pull", "w2", kT0 + 50, kT0 + 101, kT0 + 1000));
  // The late finish of the dead worker does not overwrite the new run.
  ASSERT_TRUE(store_->finishScheduleRun("pull", "w1", "ok", "", 1, kT0 + 102).ok());
  auto runs = store_->listScheduleRuns();
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  EXPECT_EQ((*runs)[0].running_by, "w2");
  EXPECT_EQ((*runs)[0].outcome, "running");
}

}  // namespace
}  // namespace qiao::store::testing
