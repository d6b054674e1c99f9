// The Checkpoint actor on a real full disk (a small tmpfs, as root): its
// watchers hear once that the store cannot be written and once that it can
// again, which it finds by itself once space returns, with no write to try.
#include "actors/checkpoint.h"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "harness/process.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"
#include "tests/support/tmpfs.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

struct StoreState {
  bool writable = true;
  std::string message;
};

class CheckpointOnAFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs_.mounted()) GTEST_SKIP() << fs_.error();
    auto store = Store::open({path_, SyncMode::batch});
    ASSERT_TRUE(store) << error_message(store.error());
    checkpoint_ =
        spawn_checkpoint(system_, std::shared_ptr<Store>{std::move(*store)}, CheckpointOptions{});
    self_->send(checkpoint_, watch_store_atom::value, caf::actor_cast<store_watcher_actor>(self_));
  }

  void TearDown() override {
    if (checkpoint_) self_->send_exit(checkpoint_, caf::exit_reason::user_shutdown);
  }

  // One transition of run "r"; the error when the store refused it.
  caf::error write(uint64_t seq) {
    v1::CheckpointRecords records;
    records.set_run_id("r");
    auto* t = records.add_transitions();
    t->set_run_id("r");
    t->set_seq(seq);
    t->set_story_id(std::string(200, 's'));
    caf::error out = make_error(Errc::internal, "no answer");
    self_->request(checkpoint_, 5s, checkpoint_atom::value, proto(std::move(records)), SharedPlan{})
        .receive([&](bool) { out = caf::error{}; }, [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  // The next state the Checkpoint actor tells, or nullopt after `timeout`.
  std::optional<StoreState> next_state(std::chrono::milliseconds timeout = 5s) {
    std::optional<StoreState> out;
    self_->receive(
        [&](store_state_atom, bool writable, const std::string& message) {
          out = StoreState{writable, message};
        },
        caf::after(timeout) >> [] {});
    return out;
  }

  TempDir dir_;
  test::Tmpfs fs_{dir_.path() + "/fs", 8u << 20};
  std::string path_ = fs_.path() + "/checkpoint";
  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  checkpoint_actor checkpoint_;
};

TEST_F(CheckpointOnAFullDisk, WatchersHearOnceWhenTheStoreFailsAndOnceWhenItIsBack) {
  auto first = next_state();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->writable) << "a watcher hears the state at once";
  EXPECT_EQ(first->message, "checkpoint store " + path_ + " can be written");

  ASSERT_TRUE(fs_.fill()) << fs_.error();
  caf::error failed;
  uint64_t seq = 0;
  while (!failed && seq < 10000) failed = write(++seq);
  ASSERT_TRUE(failed) << "the store never noticed the full disk";
  const std::string why = "checkpoint store " + path_ +
                          " cannot be written: the disk is full; free space there, rad resumes "
                          "by itself";
  EXPECT_EQ(error_message(failed), why);
  auto down = next_state();
  ASSERT_TRUE(down);
  EXPECT_FALSE(down->writable);
  EXPECT_EQ(down->message, why);
  EXPECT_TRUE(write(++seq)) << "still full";
  // It tries the store every second by itself: nothing new to tell.
  EXPECT_FALSE(next_state(1500ms)) << "told again while nothing changed";

  fs_.unfill();
  auto up = next_state();  // no write: its own try finds the space
  ASSERT_TRUE(up) << "the store was never found writable again";
  EXPECT_TRUE(up->writable);
  EXPECT_EQ(up->message, "checkpoint store " + path_ + " can be written");
  EXPECT_FALSE(write(++seq));
}

}  // namespace
}  // namespace rad
