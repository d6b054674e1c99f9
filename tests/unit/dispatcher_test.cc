// The Dispatcher and AgentHosts in one actor system: placement in batches,
// results to the run that placed them, refusals at the agent limit, cancel,
// duplicates.
#include "actors/dispatcher.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "actors/agent_host.h"
#include "actors/replacements.h"
#include "runtime/clock.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"
#include "tests/support/host_replies.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

v1::SpawnBatch order_of(const std::string& run, int stories, uint64_t duration_ms = 0) {
  v1::SpawnBatch order;
  for (int i = 0; i < stories; ++i) {
    auto* r = order.add_requests();
    r->set_run_id(run);
    r->set_attempt(1);
    r->mutable_story()->set_id("s" + std::to_string(i));
    r->mutable_story()->mutable_mock()->set_duration_ms(duration_ms);
  }
  return order;
}

// `order`'s requests as a Run hands them over (protocol/placement.h): their
// stories in a plan of their own, one run.
Placement placement_of(const v1::SpawnBatch& order) {
  auto plan = std::make_shared<v1::Plan>();
  auto* wave = plan->add_waves();
  for (const auto& r : order.requests()) *wave->add_stories() = r.story();
  auto group = std::make_shared<PlacementGroup>();
  group->plan = plan;
  if (order.requests_size() > 0) {
    group->run_id = order.requests(0).run_id();
    group->traceparent_own = group->traceparent_other = order.requests(0).trace().traceparent();
  }
  Placement out{group, {}};
  for (int i = 0; i < order.requests_size(); ++i)
    out.attempts.push_back({&wave->stories(i), order.requests(i).attempt(), false});
  return out;
}

// Places `requests` as a Run does and ends with their first results, as a Run
// that is over ends.
caf::behavior short_lived_sink(caf::event_based_actor* self, placement_actor dispatcher,
                               v1::SpawnBatch requests) {
  self->send(dispatcher, place_atom::value, placement_of(requests));
  return {[=](const Proto<v1::ResultBatch>&) { self->quit(); }};
}

class DispatcherTest : public ::testing::Test {
 protected:
  // Hosts named n0, n1, ... with the given agent limits; with command slots,
  // they run exec stories' commands (agents.use_real) and say they have that many.
  void start(std::vector<uint32_t> limits, DispatcherOptions options = {},
             uint32_t exec_slots = 0) {
    dispatcher_ = spawn_dispatcher(system_, options);
    std::vector<std::string> ids;
    for (size_t i = 0; i < limits.size(); ++i) {
      ids.push_back("n" + std::to_string(i));
      hosts_.push_back(spawn_agent_host(system_, {AgentContext{ids.back(), 1, exec_slots > 0},
                                                  limits[i], agent_metrics_, nullptr}));
    }
    caf::anon_send(dispatcher_, members_atom::value, ids, hosts_,
                   std::vector<uint32_t>(ids.size(), exec_slots));
  }

  using Settled = std::map<std::pair<std::string, std::string>, std::vector<v1::StoryResult>>;

  // Places each batch as a Run does, this test being their sink, and returns
  // every result that came, by run and story, once each request has one (30 s
  // at most).
  Settled place_all(const std::vector<v1::SpawnBatch>& batches) {
    size_t expected = 0, came = 0;
    for (const auto& b : batches) {
      expected += static_cast<size_t>(b.requests_size());
      self_->send(dispatcher_, place_atom::value, placement_of(b));
    }
    Settled out;
    bool timed_out = false;
    self_->receive_while([&] { return came < expected && !timed_out; })(
        [&](const Proto<v1::ResultBatch>& batch) {
          for (const auto& r : batch.value.results()) {
            out[{r.run_id(), r.story_id()}].push_back(r);
            ++came;
          }
        },
        caf::after(30s) >> [&] { timed_out = true; });
    EXPECT_FALSE(timed_out) << came << " of " << expected << " results came";
    return out;
  }

  // How many results of `settled` have `outcome`.
  static size_t with_outcome(const Settled& settled, v1::Outcome outcome) {
    size_t n = 0;
    for (const auto& [key, results] : settled)
      for (const auto& r : results) n += r.outcome() == outcome;
    return n;
  }

  uint32_t running(const agent_host_actor& host) { return test::running_agents(self_, host); }

  std::map<std::string, v1::StoryResult> receive_results(size_t n) {
    return test::results_by_story(self_, n);
  }

  // Places `order` through the Dispatcher, as the coordinator that dies did,
  // and returns once its agents run.
  void place_and_await_agents(const v1::SpawnBatch& order) {
    self_->send(dispatcher_, place_atom::value, placement_of(order));
    while (running(hosts_[0]) < static_cast<uint32_t>(order.requests_size()))
      std::this_thread::yield();
  }

  // The coordinator restarts and its run hands `order` over for adoption:
  // the results that come, by story (every node is awaited up to a minute).
  std::map<std::string, v1::StoryResult> adopt_after_restart(const v1::SpawnBatch& order) {
    std::vector<std::string> all;
    for (size_t i = 0; i < hosts_.size(); ++i) all.push_back("n" + std::to_string(i));
    restart(all, 60s);
    self_->send(dispatcher_, handover_atom::value, proto(order));
    return receive_results(static_cast<size_t>(order.requests_size()));
  }

  // The coordinator restarts: a new Dispatcher that awaits `adopt_from`, with
  // the hosts of start() as its members.
  void restart(std::vector<std::string> adopt_from, std::chrono::milliseconds window) {
    // Gone before the new one starts, as a dead coordinator's is: a request it
    // sent while dying would otherwise reach a host after the new one's.
    self_->monitor(dispatcher_);
    self_->send_exit(dispatcher_, caf::exit_reason::kill);
    self_->receive([](const caf::down_msg&) {});
    DispatcherOptions options;
    options.adopt_from = std::move(adopt_from);
    options.adopt_window = window;
    dispatcher_ = spawn_dispatcher(system_, options);
    // Last first: what is placed again goes to another node than n0.
    std::vector<std::string> ids;
    std::vector<agent_host_actor> hosts{hosts_.rbegin(), hosts_.rend()};
    for (size_t i = hosts_.size(); i-- > 0;) ids.push_back("n" + std::to_string(i));
    caf::anon_send(dispatcher_, members_atom::value, ids, hosts, std::vector<uint32_t>(ids.size()));
  }

  // What the Dispatcher keeps, once it has answered everything sent to it
  // so far: idle, it does not touch its state while the test reads it.
  DispatcherTables idle_tables() {
    self_->request(dispatcher_, 5s, ready_atom::value)
        .receive([](bool, const std::string&) {},
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return dispatcher_tables(dispatcher_);
  }

  // idle_tables() once nothing is pending, or after 10 s: a node tells the
  // Dispatcher which attempts settled after it sent their results, so a test
  // that got the results may ask before the Dispatcher knows.
  DispatcherTables settled_tables() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    auto tables = idle_tables();
    while (tables.pending > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      tables = idle_tables();
    }
    return tables;
  }

  // A node that refuses every spawn because it drains, as a worker stopped
  // with SIGTERM does.
  agent_host_actor draining_host(const std::string& node_id) {
    auto host =
        spawn_agent_host(system_, {AgentContext{node_id, 1, false}, 100, agent_metrics_, nullptr});
    self_->request(host, 5s, drain_atom::value)
        .receive([](bool) {}, [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return host;
  }

  void TearDown() override {
    self_->send_exit(dispatcher_, caf::exit_reason::user_shutdown);
    for (auto& h : hosts_) self_->send_exit(h, caf::exit_reason::user_shutdown);
  }

  std::shared_ptr<AgentMetrics> agent_metrics_ = AgentMetrics::unscraped();
  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  dispatcher_actor dispatcher_;
  std::vector<agent_host_actor> hosts_;
};

TEST_F(DispatcherTest, EveryRequestOfManyRunsPlacedAtOnceIsSettledOnce) {
  start({100000, 100000, 100000});
  constexpr int kRuns = 10, kStories = 5000;
  std::vector<v1::SpawnBatch> batches;
  for (int i = 0; i < kRuns; ++i) batches.push_back(order_of("run-" + std::to_string(i), kStories));
  auto settled = place_all(batches);
  EXPECT_EQ(settled.size(), static_cast<size_t>(kRuns * kStories));
  for (const auto& [key, results] : settled)
    EXPECT_EQ(results.size(), 1u) << key.first << " " << key.second << " settled more than once";
  EXPECT_EQ(with_outcome(settled, v1::OUTCOME_SUCCEEDED), static_cast<size_t>(kRuns * kStories));
}

TEST_F(DispatcherTest, RequestsBeyondTheAgentLimitAreRefusedNotDropped) {
  start({3});
  // Long enough that the first three are still running when the rest arrive.
  auto settled = place_all({order_of("run", 10, 200)});
  EXPECT_EQ(settled.size(), 10u);
  EXPECT_EQ(with_outcome(settled, v1::OUTCOME_SUCCEEDED), 3u);
  // Refused: not placed, and back to the run with why.
  EXPECT_EQ(with_outcome(settled, v1::OUTCOME_UNSPECIFIED), 7u);
  for (const auto& [key, results] : settled) {
    if (results[0].outcome() == v1::OUTCOME_UNSPECIFIED) {
      EXPECT_FALSE(results[0].error().empty()) << key.second << " refused without a reason";
    }
  }
}

TEST_F(DispatcherTest, ExecRequestsWaitHereForAFreeCommandSlot) {
  auto views = std::make_shared<NodeViews>();
  DispatcherOptions options;
  options.views = views;
  start({100, 100}, options, 2);  // 2 command slots each: each node takes 3 (a quarter more)
  // Each command waits for `go` to exist: nothing ends before the test looked.
  auto dir = std::filesystem::temp_directory_path() /
             ("rad-slots-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  auto go = (dir / "go").string();
  auto order = order_of("run", 10);
  for (auto& r : *order.mutable_requests()) {
    auto* exec = r.mutable_story()->mutable_exec();
    exec->add_argv("sh");
    exec->add_argv("-c");
    exec->add_argv("while [ ! -e '" + go + "' ]; do sleep 0.01; done");
  }
  self_->send(dispatcher_, place_atom::value, placement_of(order));
  auto queued = [&] {
    auto q = views->queue.get();
    return q ? q->exec : 0;
  };
  while (queued() != 4 || running(hosts_[0]) + running(hosts_[1]) < 6) std::this_thread::yield();
  EXPECT_EQ(running(hosts_[0]), 3u);
  EXPECT_EQ(running(hosts_[1]), 3u);
  EXPECT_EQ(views->queue.get()->by_run.at("run"), 4u);
  std::ofstream{go}.put('\n');
  auto results = receive_results(10);
  ASSERT_EQ(results.size(), 10u);
  for (const auto& [id, r] : results) EXPECT_EQ(r.outcome(), v1::OUTCOME_SUCCEEDED) << id;
  EXPECT_EQ(views->queue.get()->exec, 0u);
  EXPECT_TRUE(views->queue.get()->by_run.empty());
  std::filesystem::remove_all(dir);
}

TEST_F(DispatcherTest, CancelReachesRunningAgents) {
  start({100});
  // Agents exist once the host counts them; then cancel the run.
  place_and_await_agents(order_of("run", 5, 60'000));
  v1::CancelRequest cancel;
  cancel.set_run_id("run");
  caf::anon_send(dispatcher_, proto(cancel));
  auto results = receive_results(5);
  ASSERT_EQ(results.size(), 5u);
  for (const auto& [id, r] : results) EXPECT_EQ(r.outcome(), v1::OUTCOME_CANCELLED) << id;
  EXPECT_EQ(running(hosts_[0]), 0u);
}

// Results take no detour: the node that ran an attempt sends its result to
// the Run that placed it, and tells the Dispatcher only which attempts
// settled, so that it keeps none of them.
TEST_F(DispatcherTest, ResultsGoFromTheirNodeStraightToTheRunThatPlacedThem) {
  start({1000, 1000});
  constexpr size_t kStories = 500;
  self_->send(dispatcher_, place_atom::value, placement_of(order_of("run", kStories)));
  std::set<caf::actor_addr> hosts;
  for (const auto& h : hosts_) hosts.insert(h.address());
  size_t came = 0, from_hosts = 0;
  bool timed_out = false;
  self_->receive_while([&] { return came < kStories && !timed_out; })(
      [&](const Proto<v1::ResultBatch>& batch) {
        auto n = static_cast<size_t>(batch.value.results_size());
        came += n;
        const auto& sender = self_->current_sender();
        if (sender && hosts.count(sender->address())) from_hosts += n;
      },
      caf::after(10s) >> [&] { timed_out = true; });
  EXPECT_EQ(came, kStories);
  EXPECT_EQ(from_hosts, kStories) << "results came through another actor than their node's";
  EXPECT_EQ(settled_tables().pending, 0u) << "attempts whose results came are still open";
}

// A Run actor that stops with attempts still running (it crashed, and another
// took over with resink_atom): the nodes send their results to the
// Dispatcher then, which passes them to the Run that took over.
TEST_F(DispatcherTest, ResultsOfARunActorThatStoppedReachTheOneThatTookOver) {
  start({100});
  auto old_run = system_.spawn(short_lived_sink, dispatcher_, order_of("run", 5, 60'000));
  while (running(hosts_[0]) < 5) std::this_thread::yield();
  self_->monitor(old_run);
  self_->send_exit(old_run, caf::exit_reason::kill);
  self_->receive([](const caf::down_msg&) {});
  std::vector<std::string> open;
  self_->request(dispatcher_, 5s, resink_atom::value, std::string{"run"})
      .receive([&](const std::vector<std::string>& stories) { open = stories; },
               [&](const caf::error& err) { FAIL() << system_.render(err); });
  EXPECT_EQ(open.size(), 5u);
  v1::CancelRequest cancel;  // the agents end now, after the node saw the old Run go
  cancel.set_run_id("run");
  caf::anon_send(dispatcher_, proto(cancel));
  std::map<std::string, v1::StoryResult> results;
  size_t from_dispatcher = 0;
  bool timed_out = false;
  self_->receive_while([&] { return results.size() < 5 && !timed_out; })(
      [&](const Proto<v1::ResultBatch>& batch) {
        for (const auto& r : batch.value.results()) results[r.story_id()] = r;
        if (self_->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(dispatcher_))
          from_dispatcher += static_cast<size_t>(batch.value.results_size());
      },
      caf::after(10s) >> [&] { timed_out = true; });
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(from_dispatcher, 5u);
  for (const auto& [id, r] : results) EXPECT_EQ(r.outcome(), v1::OUTCOME_CANCELLED) << id;
}

// A result a node sent straight to a Run actor that had stopped is lost with
// it. Once another took over, the node's notice of it tells the new one the
// attempt was lost (a Run applies one result per attempt: had the result
// reached it after all, it would ignore this).
TEST_F(DispatcherTest, AResultSentToARunActorThatHadStoppedIsLostForTheOneThatTookOver) {
  start({100});
  place_and_await_agents(order_of("run", 2, 60'000));
  caf::scoped_actor next{system_};
  next->request(dispatcher_, 5s, resink_atom::value, std::string{"run"})
      .receive([&](const std::vector<std::string>& open) { EXPECT_EQ(open.size(), 2u); },
               [&](const caf::error& err) { FAIL() << system_.render(err); });
  v1::SettledAttempts settled;  // as n0 sends it after the result of s0
  auto* run = settled.add_runs();
  run->set_run_id("run");
  run->add_story_ids("s0");
  run->add_attempts(1);
  self_->send(dispatcher_, proto(settled));
  auto results = test::results_by_story(next, 1);
  ASSERT_EQ(results.count("s0"), 1u);
  EXPECT_EQ(results["s0"].outcome(), v1::OUTCOME_NODE_LOST);
  EXPECT_NE(results["s0"].error().find("stopped"), std::string::npos) << results["s0"].error();
  EXPECT_EQ(idle_tables().pending, 1u) << "s1 still runs";
}

// Attempts no node claims are placed again, and the restarted Dispatcher
// places on n1 first: results from n0 alone prove adoption.
TEST_F(DispatcherTest, AttemptsStillRunningAreAdoptedByARestartedDispatcher) {
  start({100, 100});
  auto order = order_of("run", 3, 300);
  place_and_await_agents(order);  // all on n0, the first node
  auto results = adopt_after_restart(order);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& [id, r] : results) {
    EXPECT_EQ(r.outcome(), v1::OUTCOME_SUCCEEDED) << id;
    EXPECT_EQ(r.attempt(), 1u);
    EXPECT_EQ(r.node_id(), "n0") << id << " was placed again, on n1";
  }
  EXPECT_EQ(running(hosts_[1]), 0u);
}

TEST_F(DispatcherTest, ResultsThatFoundNoCoordinatorAreDeliveredToTheNextOne) {
  start({100});
  auto order = order_of("run", 3, 100);
  place_and_await_agents(order);
  self_->send_exit(dispatcher_, caf::exit_reason::kill);
  while (running(hosts_[0]) > 0) std::this_thread::yield();  // they end with nobody to tell
  auto restarted_at = now_timestamp();
  auto results = adopt_after_restart(order);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& [id, r] : results) {
    EXPECT_EQ(r.outcome(), v1::OUTCOME_SUCCEEDED) << id;
    EXPECT_LT(r.finished_at(), restarted_at) << id << " ran again";
  }
}

// A coordinator that read a node's report and died before storing it: the
// results are offered again to the next one, or their attempts would run again.
TEST_F(DispatcherTest, ResultsReportedToACoordinatorThatDiedAreReportedToTheNextOne) {
  start({100});
  auto order = order_of("run", 3, 100);
  place_and_await_agents(order);
  self_->send_exit(dispatcher_, caf::exit_reason::kill);
  while (running(hosts_[0]) > 0) std::this_thread::yield();
  {
    caf::scoped_actor dying_coordinator{system_};
    dying_coordinator->request(hosts_[0], 5s, adopt_atom::value)
        .receive([](const Proto<v1::AgentReport>& r) { EXPECT_EQ(r.value.undelivered_size(), 3); },
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
  }  // gone with the report
  auto results = adopt_after_restart(order);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& [id, r] : results) EXPECT_EQ(r.outcome(), v1::OUTCOME_SUCCEEDED) << id;
}

TEST_F(DispatcherTest, AttemptsNoNodeReportsAreLostOnceEveryNodeOfTheLastViewAnswered) {
  start({100});
  restart({"n0"}, 60s);
  auto sent_at = now_timestamp();
  self_->send(dispatcher_, handover_atom::value, proto(order_of("run", 2)));
  auto results = receive_results(2);
  ASSERT_EQ(results.size(), 2u) << "n0 runs nothing: lost well before the window ends";
  for (const auto& [id, r] : results) {
    // Lost, for the run to place as new attempts: an attempt number never runs twice.
    EXPECT_EQ(r.outcome(), v1::OUTCOME_NODE_LOST) << id;
    EXPECT_GT(r.finished_at(), sent_at);
  }
}

TEST_F(DispatcherTest, AttemptsOfANodeThatNeverComesBackAreLostAfterTheWindow) {
  start({100});
  restart({"n0", "gone"}, 300ms);
  auto sent_at = std::chrono::system_clock::now();
  self_->send(dispatcher_, handover_atom::value, proto(order_of("run", 2)));
  auto results = receive_results(2);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& [id, r] : results) {
    EXPECT_EQ(r.outcome(), v1::OUTCOME_NODE_LOST) << id;
    EXPECT_GE(r.finished_at(), to_timestamp(sent_at + 250ms)) << id << " lost before the window";
  }
}

// After a restart, an attempt no node reports may have run on a node lost
// meanwhile: a story that must not run twice is given up, not placed again,
// whether adoption was still open when its run asked ("gone" never answers:
// open until the window passes) or already over.
// The Dispatcher never places an unreported attempt again itself: it may have
// started, so the Run goes on with a new attempt, or ends an idempotent:
// false story (run_state_test).
TEST_F(DispatcherTest, AttemptsNoNodeReportsAfterARestartAreLostWhateverTheirStory) {
  start({100});
  restart({"n0", "gone"}, 300ms);
  for (const char* run : {"awaited", "after"}) {
    auto order = order_of(run, 2);
    order.mutable_requests(0)->mutable_story()->set_idempotent(false);
    self_->send(dispatcher_, handover_atom::value, proto(order));
    auto results = receive_results(2);
    ASSERT_EQ(results.size(), 2u) << run;
    for (const auto& id : {"s0", "s1"}) {
      EXPECT_EQ(results[id].outcome(), v1::OUTCOME_NODE_LOST) << run << " " << id;
      EXPECT_EQ(results[id].error(), "no node reported it after the coordinator restarted");
    }
  }
  EXPECT_EQ(running(hosts_[0]), 0u) << "nothing placed again by the Dispatcher";
}

// Every worker start is a new node id: a node that drained, refused work and
// is gone must leave nothing here, or 2,000 restarts leave 2,000 entries.
TEST_F(DispatcherTest, DrainedNodesAreForgottenOnceGone) {
  start({100});
  const std::vector<uint32_t> no_slots{0};
  for (int i = 0; i < 2000; ++i) {
    auto id = "drained-" + std::to_string(i);
    auto host = draining_host(id);
    self_->send(dispatcher_, members_atom::value, std::vector<std::string>{id},
                std::vector<agent_host_actor>{host}, no_slots);
    self_->send(dispatcher_, place_atom::value,
                placement_of(order_of("run-" + std::to_string(i), 1)));
    // The drained node refuses and the request moves here: it ends only after
    // the refusal closed the drained node.
    self_->send(dispatcher_, members_atom::value, std::vector<std::string>{"n0"},
                std::vector<agent_host_actor>{hosts_[0]}, no_slots);
    auto result = receive_results(1);
    ASSERT_EQ(result.size(), 1u) << id;
    EXPECT_EQ(result.begin()->second.outcome(), v1::OUTCOME_SUCCEEDED) << id;
    self_->send(dispatcher_, node_lost_atom::value, id, uint32_t{0});
    self_->send_exit(host, caf::exit_reason::user_shutdown);
  }
  auto tables = settled_tables();
  EXPECT_EQ(tables.closed_nodes, 0u);
  EXPECT_EQ(tables.asked, std::set<std::string>{"n0"});
  EXPECT_EQ(tables.pending, 0u);
  EXPECT_EQ(tables.routes, 0u) << "no run has attempts queued";
}

// A Run actor that ended is durable and gone: the Dispatcher must not keep it
// alive for a sync that may never come (only a draining node syncs).
TEST_F(DispatcherTest, RunsThatEndedAreNotKeptAlive) {
  start({1000});
  std::vector<caf::actor_addr> sinks;
  for (int i = 0; i < 2000; ++i)
    sinks.push_back(
        system_.spawn(short_lived_sink, dispatcher_, order_of("run-" + std::to_string(i), 1))
            .address());
  auto alive = [&] {
    return std::count_if(sinks.begin(), sinks.end(),
                         [](const auto& s) { return caf::actor_cast<caf::actor>(s) != nullptr; });
  };
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (alive() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(alive(), 0) << "sinks that ended are still held";
  // Once their nodes' notices are in, the sinks' ends that they made it watch are too.
  settled_tables();
  EXPECT_EQ(idle_tables().synced_since, 0u);
}

TEST(Replacements, ALossIsFollowedForABoundedTime) {
  Replacements r;
  auto t0 = Replacements::Clock::now();
  // Never placed again: its run ended meanwhile.
  r.lost("gone", "run-1", "s1", t0);
  r.lost("gone", "run-1", "s2", t0);
  r.lost("other", "run-2", "s1", t0 + Replacements::kFollowFor);
  EXPECT_EQ(r.size(), 3u) << "followed for kFollowFor";
  r.lost("third", "run-3", "s1", t0 + Replacements::kFollowFor + 1ms);
  EXPECT_EQ(r.size(), 2u) << "the first loss is dropped with its stories";
  EXPECT_FALSE(r.placed("run-1", "s1", t0 + Replacements::kFollowFor + 2ms));
  EXPECT_TRUE(r.placed("run-2", "s1", t0 + Replacements::kFollowFor + 2ms))
      << "the last story of a loss still followed is logged";
}

}  // namespace
}  // namespace rad
