// Idempotency keys of submissions: which keys are accepted, what makes two
// plans "the same", and the Supervisor over a real checkpoint store making at
// most one run per key: again, at once, while the store fails, and after a
// restart (a new Supervisor that knows the key only from the store).
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/agent_host.h"
#include "actors/checkpoint.h"
#include "actors/dispatcher.h"
#include "actors/plan_digest.h"
#include "actors/supervisor.h"
#include "faults/write_faults.h"
#include "harness/process.h"
#include "runtime/error.h"
#include "runtime/idempotency_key.h"
#include "runtime/proto_bridge.h"
#include "runtime/proto_file.h"
#include "runtime/system_config.h"
#include "tests/support/mock_plan.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

TEST(IdempotencyKey, PrintableAsciiUpTo128BytesIsAccepted) {
  EXPECT_FALSE(check_idempotency_key("k", "--key"));
  EXPECT_FALSE(check_idempotency_key(std::string(128, 'k'), "--key"));
  EXPECT_FALSE(check_idempotency_key("order 42/retry:~!", "--key")) << "spaces inside are fine";
}

TEST(IdempotencyKey, AnythingElseIsRefusedWithOneLineSayingWhatToSend) {
  const std::pair<std::string, std::string> refused[] = {
      {"", "is empty"},
      {std::string(129, 'k'), "is 129 bytes long"},
      {"tab\there", "has a byte that is not printable ASCII (at 3)"},
      {"caf\xc3\xa9", "has a byte that is not printable ASCII (at 3)"},
      {"del\x7f", "has a byte that is not printable ASCII (at 3)"},
      {" lead", "starts or ends with a space"},
      {"trail ", "starts or ends with a space"},
  };
  for (const auto& [key, why] : refused) {
    auto err = check_idempotency_key(key, "the Idempotency-Key header");
    ASSERT_TRUE(err) << key;
    EXPECT_TRUE(is(err, Errc::invalid_input));
    EXPECT_EQ(error_message(err), "the Idempotency-Key header " + why +
                                      "; use 1 to 128 printable ASCII characters, e.g. 32 hex "
                                      "digits");
  }
}

TEST(IdempotencyKey, NewKeysAre128RandomBitsInHex) {
  auto a = new_idempotency_key(), b = new_idempotency_key();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
  EXPECT_FALSE(check_idempotency_key(a, "a new key"));
}

v1::Plan parsed(const std::string& json) {
  v1::Plan plan;
  auto err = parse_proto_text(json, FileFormat::json, "test", plan);
  EXPECT_FALSE(err) << error_message(err);
  return plan;
}

TEST(PlanDigest, TheSamePlanHowEverWrittenHasOneDigestAnotherPlanAnother) {
  auto digest = plan_sha256(
      parsed(R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","exec":{"argv":["env"],)"
             R"("env":{"A":"1","B":"2","C":"3"}}}]}]})"));
  EXPECT_EQ(digest.size(), 32u);
  // Spaced and ordered otherwise, the environment (a map) in another order.
  EXPECT_EQ(plan_sha256(parsed(R"({ "waves": [ { "stories": [ { "exec": { "env": {"C":"3",
      "B":"2", "A":"1"}, "argv": ["env"] }, "id": "a" } ], "name": "w" } ], "name": "p" })")),
            digest);
  EXPECT_NE(plan_sha256(parsed(
                R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","exec":{"argv":["env"],)"
                R"("env":{"A":"1","B":"2","C":"4"}}}]}]})")),
            digest);
}

// A Supervisor and its Checkpoint actor over a real store, with a Dispatcher
// and two AgentHosts to run what it starts.
class IdempotentSubmits : public ::testing::Test {
 protected:
  IdempotentSubmits() {
    auto store = Store::open({dir_.path() + "/checkpoint", SyncMode::batch, write_faults_});
    EXPECT_TRUE(store) << error_message(store.error());
    store_ = std::move(*store);
    dispatcher_ = spawn_dispatcher(system_, DispatcherOptions{});
    std::vector<std::string> ids{"n1", "n2"};
    for (const auto& id : ids)
      hosts_.push_back(spawn_agent_host(
          system_, {AgentContext{id, 1}, 100000u, AgentMetrics::unscraped(), nullptr}));
    caf::anon_send(dispatcher_, members_atom::value, ids, hosts_,
                   std::vector<uint32_t>(ids.size()));
    start_coordinator();
  }

  ~IdempotentSubmits() override {
    stop_coordinator();
    for (auto& a : hosts_) self_->send_exit(a, caf::exit_reason::user_shutdown);
    self_->send_exit(dispatcher_, caf::exit_reason::user_shutdown);
  }

  // A Supervisor and Checkpoint actor as a start of the coordinator makes
  // them: all the new Supervisor knows of earlier keys is in the store.
  void start_coordinator() {
    CheckpointOptions co;
    co.compact_every = std::chrono::minutes{0};
    checkpoint_ = spawn_checkpoint(system_, store_, co);
    SupervisorOptions so;
    so.find_key = [store = store_](const std::string& key) { return store->idempotency_key(key); };
    supervisor_ = spawn_supervisor(system_, so, dispatcher_, checkpoint_);
  }

  // The Supervisor takes its Run actors with it.
  void stop_coordinator() {
    self_->send_exit(supervisor_, caf::exit_reason::user_shutdown);
    self_->wait_for(supervisor_);
    self_->send_exit(checkpoint_, caf::exit_reason::user_shutdown);
    self_->wait_for(checkpoint_);
  }

  struct Answer {
    std::string run_id;
    bool existing = false;
    caf::error error;
  };

  template <class Handle>
  static Answer receive(Handle handle) {
    Answer out;
    handle.receive(
        [&](const Proto<v1::SubmitReply>& reply) {
          out = {reply.value.run_id(), reply.value.existing(), {}};
        },
        [&](const caf::error& err) { out.error = err; });
    return out;
  }

  auto submit_async(const v1::Plan& plan, const std::string& key) {
    return self_->request(supervisor_, 10s, submit_atom::value, proto(plan), std::string{}, key);
  }

  Answer submit(const v1::Plan& plan, const std::string& key) {
    return receive(submit_async(plan, key));
  }

  size_t runs_known() {
    size_t n = 0;
    self_->request(supervisor_, 5s, list_atom::value)
        .receive([&](const Proto<v1::RunList>& list) { n = list.value.runs_size(); },
                 [&](const caf::error& err) { ADD_FAILURE() << error_message(err); });
    return n;
  }

  bool store_writable() {
    bool writable = true;
    self_->request(supervisor_, 5s, store_state_atom::value)
        .receive([&](bool w, const std::string&) { writable = w; },
                 [&](const caf::error& err) { ADD_FAILURE() << error_message(err); });
    return writable;
  }

  TempDir dir_;
  // The store's write hook: the test fails its writes.
  std::shared_ptr<WriteFaults> write_faults_ = std::make_shared<WriteFaults>();
  std::shared_ptr<Store> store_;
  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  dispatcher_actor dispatcher_;
  supervisor_actor supervisor_;
  checkpoint_actor checkpoint_;
  std::vector<agent_host_actor> hosts_;
};

TEST_F(IdempotentSubmits, TheSameKeyAndPlanAgainAnswerTheRunItMade) {
  auto first = submit(test::mock_plan("p", 3), "k1");
  ASSERT_FALSE(first.error) << error_message(first.error);
  EXPECT_FALSE(first.existing);
  auto again = submit(test::mock_plan("p", 3), "k1");
  ASSERT_FALSE(again.error) << error_message(again.error);
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_TRUE(again.existing);
  EXPECT_EQ(runs_known(), 1u);
  auto other = submit(test::mock_plan("p", 3), "k2");
  ASSERT_FALSE(other.error);
  EXPECT_NE(other.run_id, first.run_id) << "another key, another run";
  EXPECT_FALSE(other.existing);

  auto stored = store_->idempotency_key("k1");
  ASSERT_TRUE(stored) << "answered means stored, key included";
  EXPECT_EQ(stored->run_id(), first.run_id);
  EXPECT_EQ(stored->plan_sha256(), plan_sha256(test::mock_plan("p", 3)));
  auto summary = store_->run(first.run_id);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->idempotency_key(), "k1");
}

TEST_F(IdempotentSubmits, AnotherPlanUnderAUsedKeyIsRefusedSayingWhatToDo) {
  auto first = submit(test::mock_plan("p", 3), "k1");
  ASSERT_FALSE(first.error);
  auto conflict = submit(test::mock_plan("p", 4), "k1");
  ASSERT_TRUE(conflict.error) << "made " << conflict.run_id;
  EXPECT_TRUE(is(conflict.error, Errc::in_use)) << error_message(conflict.error);
  EXPECT_EQ(error_message(conflict.error), "idempotency key 'k1' already made run " + first.run_id +
                                               " of another plan; submit this plan under a new "
                                               "key");
  EXPECT_EQ(runs_known(), 1u);
}

TEST_F(IdempotentSubmits, AfterARestartTheKeyIsFoundInTheStore) {
  auto first = submit(test::mock_plan("p", 3), "k1");
  ASSERT_FALSE(first.error);
  stop_coordinator();
  start_coordinator();
  EXPECT_EQ(runs_known(), 0u) << "a new Supervisor, nothing handed over from the old one";
  auto again = submit(test::mock_plan("p", 3), "k1");
  ASSERT_FALSE(again.error) << error_message(again.error);
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_TRUE(again.existing);
  EXPECT_EQ(runs_known(), 0u) << "no new run";
  auto conflict = submit(test::mock_plan("other", 3), "k1");
  EXPECT_TRUE(is(conflict.error, Errc::in_use)) << error_message(conflict.error);
}

// The bug this is for: the store cannot take the run's first write, so its
// submitter gets no answer and tries again. The retry joins the run already
// made, even though new runs are refused meanwhile; once the store takes the
// write, both are answered with the one run.
TEST_F(IdempotentSubmits, ARetryWhileTheFirstWriteWaitsJoinsTheRunAlreadyMade) {
  WriteFaults::Options full;
  full.probability = 1;
  full.disk_full = true;
  write_faults_->arm(full);
  auto first = submit_async(test::mock_plan("p", 3), "k1");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store_writable()) ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  auto retry = submit_async(test::mock_plan("p", 3), "k1");
  auto new_key = submit(test::mock_plan("p", 3), "k2");
  EXPECT_TRUE(is(new_key.error, Errc::unavailable)) << "a new run is refused while the store fails";
  EXPECT_FALSE(store_->idempotency_key("k1")) << "not stored yet";
  write_faults_->disarm();
  auto a = receive(first), b = receive(retry);
  ASSERT_FALSE(a.error) << error_message(a.error);
  ASSERT_FALSE(b.error) << error_message(b.error);
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_FALSE(a.existing);
  EXPECT_TRUE(b.existing);
  EXPECT_EQ(runs_known(), 1u);
  auto stored = store_->idempotency_key("k1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->run_id(), a.run_id);
}

}  // namespace
}  // namespace rad
