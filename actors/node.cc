#include "actors/node.h"

#include <signal.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <future>
#include <map>
#include <thread>

#include "actors/agent_host.h"
#include "actors/checkpoint.h"
#include "actors/cluster_api.h"
#include "actors/coordinator_membership.h"
#include "actors/dispatch_metrics.h"
#include "actors/dispatcher.h"
#include "actors/drivers/command_metrics.h"
#include "actors/health_api.h"
#include "actors/monitor/monitor.h"
#include "actors/pulse.h"
#include "actors/runs_api.h"
#include "actors/supervisor.h"
#include "actors/worker_membership.h"
#include "runtime/clock.h"
#include "runtime/config.h"
#include "runtime/error.h"
#include "runtime/link_traffic.h"
#include "runtime/logging.h"
#include "runtime/port_check.h"
#include "runtime/process_metrics.h"
#include "runtime/protocol.h"
#include "runtime/tracer.h"
#include "runtime/version.h"

namespace rad {
namespace {

// How long stop() waits for cancelled agents to report, and for the leave to
// be acknowledged.
constexpr auto kCancelGrace = std::chrono::seconds{5};

MonitorOptions monitor_options_of(const v1::NodeConfig& config, const v1::NodeInfo& info,
                                  agent_host_actor agent_host) {
  const auto& m = config.monitor();
  MonitorOptions o;
  o.interval = std::chrono::milliseconds{m.sample_interval_ms()};
  o.thresholds.max_cpu_percent = m.max_cpu_percent();
  o.thresholds.max_memory_percent = m.max_memory_percent();
  o.thresholds.max_processes = m.max_processes();
  o.thresholds.max_threads = m.max_threads();
  o.thresholds.max_agents = config.agents().max_agents();
  o.agent_host = std::move(agent_host);
  o.node_id = info.node_id();
  o.incarnation = info.incarnation();
  return o;
}

// What the store holds of the runs before this start. Those it has as running
// (the coordinator stopped or died while they ran) are rebuilt from their
// plans and transitions, to go on; of the others, the newest summaries.
caf::error recover_runs(const Store& store, SupervisorOptions& so, spdlog::logger& log) {
  std::vector<v1::RunStatus> open;
  // By end time: the newest max_finished_runs are kept.
  std::multimap<std::pair<int64_t, int32_t>, v1::RunStatus> ended;
  auto err = store.for_each_run([&](const v1::RunStatus& run) {
    if (run.state() == v1::RUN_STATE_RUNNING) {
      open.push_back(run);
      return true;
    }
    ended.emplace(std::make_pair(run.finished_at().seconds(), run.finished_at().nanos()), run);
    if (ended.size() > so.max_finished_runs) ended.erase(ended.begin());
    return true;
  });
  if (err) return err;
  for (auto& [at, run] : ended) so.finished.push_back(std::move(run));
  auto& out = so.resume;
  auto options = so.run;
  options.record_transitions = true;
  for (const auto& run : open) {
    auto plan = store.plan(run.run_id());
    if (!plan) return plan.error();
    std::vector<v1::StoryTransition> log_of_run;
    if (auto e = store.for_each_event(run.run_id(), [&](const v1::StoryTransition& t) {
          log_of_run.push_back(t);
          return true;
        }))
      return e;
    auto o = options;
    o.traceparent = run.trace().traceparent();
    // Its summary goes on showing its key; the key's record is stored already.
    o.idempotency.set_key(run.idempotency_key());
    auto state = std::make_shared<RunState>(run.run_id(), std::move(*plan), o);
    auto ended = state->restore(log_of_run, RunState::Clock::now());
    // A summary still RUNNING with an error was cancelling (actors/run.cc).
    if (!run.error().empty()) state->cancel(run.error(), RunState::Clock::now());
    log.info("resuming run {} of plan '{}': {} of {} stories had ended", run.run_id(),
             state->plan().name(), ended, run.counts().total());
    out.push_back(std::move(state));
  }
  return {};
}

// The node's registry, with what every node shows: the process, the cluster
// link's traffic, and which rad this is.
std::shared_ptr<Metrics> node_metrics(const v1::NodeConfig& config) {
  auto metrics = std::make_shared<Metrics>();
  metrics->add_collectable(std::make_shared<ProcessMetrics>());
  metrics->add_collectable(std::make_shared<LinkTrafficMetrics>());
  metrics->add_collectable(std::make_shared<TracingMetrics>());
  prometheus::BuildGauge()
      .Name("rad_build_info")
      .Help("Always 1: the version and role of this rad node")
      .Register(metrics->registry())
      .Add({{"version", kVersion}, {"role", config.role()}})
      .Set(1);
  return metrics;
}

// A component's metrics on the node's registry, or none when metrics are off.
template <class ComponentMetrics>
std::shared_ptr<ComponentMetrics> counted(Metrics* metrics) {
  return metrics ? std::make_shared<ComponentMetrics>(metrics->registry()) : nullptr;
}

// Ready once `actor` has sent its last notice on exit. CAF runs an actor's
// attachables (the down messages to its monitors, functors like this one)
// newest first, so this one, attached before the actor's handle is given to
// anyone, runs after every other; a handle never given away cannot be
// monitored earlier.
template <class Handle>
std::future<void> done_notifying(const Handle& actor) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor([done] { done->set_value(); });
  return future;
}

v1::Role role_of(const std::string& role) {
  if (role == "coordinator") return v1::ROLE_COORDINATOR;
  if (role == "worker") return v1::ROLE_WORKER;
  return v1::ROLE_ALL;
}

uint64_t physical_memory_bytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

v1::NodeInfo describe(const v1::NodeConfig& config, caf::actor_system& system) {
  v1::NodeInfo info;
  info.set_node_id(caf::to_string(system.node()));
  info.set_name(config.node_name());
  info.set_address(config.bind() + ":" + std::to_string(config.cluster_port()));
  if (config.metrics_port() != 0)
    info.set_metrics_address(config.bind() + ":" + std::to_string(config.metrics_port()));
  info.set_role(role_of(config.role()));
  // Wall-clock milliseconds grow across restarts of the same node.
  auto now = std::chrono::system_clock::now();
  info.set_incarnation(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()));
  info.mutable_capacity()->set_max_agents(config.agents().max_agents());
  if (config.role() != "coordinator" && config.agents().use_real())
    info.mutable_capacity()->set_exec_slots(static_cast<uint32_t>(exec_slots(config.agents())));
  info.mutable_capacity()->set_cpu_cores(std::thread::hardware_concurrency());
  info.mutable_capacity()->set_memory_bytes(physical_memory_bytes());
  info.set_version(kVersion);
  info.set_protocol_version(kProtocolVersion);
  *info.mutable_started_at() = now_timestamp();
  return info;
}

caf::error check_roles(const v1::NodeConfig& config) {
  if (config.role() == "worker" && config.join_size() == 0)
    return make_error(Errc::invalid_input,
                      "a worker needs --join HOST:PORT, the cluster port of the coordinator");
  if (config.role() != "worker" && config.join_size() > 0)
    return make_error(Errc::invalid_input, "--join is for workers; a " + config.role() +
                                               " node is the seed that workers join");
  return caf::none;
}

}  // namespace

caf::expected<std::unique_ptr<Node>> Node::start(const v1::NodeConfig& config,
                                                 std::shared_ptr<NodeExtension> extension) {
  auto log = logger("node");
  if (auto err = check_roles(config)) return err;
  std::unique_ptr<Node> node{new Node};
  node->config_ = config;
  node->extension_ = extension ? std::move(extension) : std::make_shared<NodeExtension>();
  auto port = static_cast<uint16_t>(config.cluster_port());
  if (auto err = check_port_free(config.bind(), port, "cluster port", "cluster-port")) return err;
  auto metrics_port = static_cast<uint16_t>(config.metrics_port());
  if (metrics_port != 0)
    if (auto err = check_port_free(config.bind(), metrics_port, "metrics port", "metrics-port"))
      return err;
  auto lock = DataDirLock::acquire(config.data_dir());
  if (!lock) return lock.error();
  node->lock_ = std::move(*lock);

  TracingOptions tracing;
  tracing.node = config.node_name();
  tracing.spans = config.trace().spans();
  tracing.story_spans_per_run = config.trace().story_spans_per_run();
  tracing.otlp_endpoint = config.trace().otlp_endpoint();
  // Only the coordinator answers radctl trace.
  tracing.keep_runs = config.role() == "worker" ? 0 : config.trace().keep_runs();
  if (auto err = configure_tracing(tracing)) return err;

  // A lost connection counts as a dead process, so CAF closes a silent one
  // only once the peer has surely stopped its agents (its lease and their
  // stop time passed, twice over).
  auto timing = pulse_options_of(config);
  node->caf_config_ = std::make_unique<SystemConfig>(
      config, 2 * (timing.lease + kDefaultKillGrace + timing.detector.down_after));
  node->system_ = std::make_unique<caf::actor_system>(*node->caf_config_);
  node->info_ = describe(config, *node->system_);
  if (metrics_port != 0) node->metrics_ = node_metrics(config);
  auto* metrics = node->metrics_.get();
  MemberOptions member;
  member.info = node->info_;
  member.config = config;
  if (config.role() != "coordinator") {
    node->commands_ = std::make_shared<CommandRunner>(
        CommandRunnerOptions{exec_slots(config.agents()), "rad-commands"});
    if (node->metrics_)
      node->metrics_->add_collectable(std::make_shared<CommandMetrics>(node->commands_));
    node->agent_host_ = member.agent_host = spawn_agent_host(
        *node->system_, {AgentContext{node->info_.node_id(), node->info_.incarnation(),
                                      config.agents().use_real(), node->commands_},
                         config.agents().max_agents(), counted<AgentMetrics>(metrics),
                         node->extension_->agent_observer()});
  }
  member.metrics = counted<MembershipMetrics>(metrics);
  // What the actors publish for the HTTP routes, which never wait on them.
  auto views = std::make_shared<NodeViews>();
  std::shared_ptr<RunViews> run_views;
  member.views = views;
  std::shared_ptr<Store> shared_store;
  if (config.role() != "worker") {
    auto sync = sync_mode_from(config.checkpoint().sync());
    if (!sync) return sync.error();
    auto store = Store::open(
        {config.data_dir() + "/checkpoint", *sync, node->extension_->store_write_hook()});
    if (!store) {
      node->stop();
      return store.error();
    }
    SupervisorOptions so;
    so.run.default_timeout = std::chrono::milliseconds{config.agents().timeout_ms()};
    so.run.metrics = counted<RunMetrics>(metrics);
    so.views = run_views = std::make_shared<RunViews>();
    so.node_views = views;
    if (auto err = recover_runs(**store, so, *log)) {
      node->stop();
      return err;
    }
    CheckpointOptions co;
    co.retention.keep_runs = config.checkpoint().keep_runs();
    co.retention.keep_for = std::chrono::hours{config.checkpoint().keep_hours()};
    co.compact_every = std::chrono::minutes{config.checkpoint().compact_every_minutes()};
    auto agent_nodes = (*store)->agent_nodes();
    if (!agent_nodes) {
      node->stop();
      return agent_nodes.error();
    }
    co.metrics = counted<CheckpointMetrics>(metrics);
    shared_store = std::move(*store);
    // The Supervisor asks on a submit with a key; reads may come from any thread.
    so.find_key = [keys = std::shared_ptr<const Store>{shared_store}](const std::string& key) {
      return keys->idempotency_key(key);
    };
    if (node->metrics_)
      node->metrics_->add_collectable(std::make_shared<StoreMetrics>(shared_store));
    node->checkpoint_ = spawn_checkpoint(*node->system_, shared_store, co);
    node->checkpoint_done_ = done_notifying(node->checkpoint_);
    DispatcherOptions dop;
    dop.checkpoint = node->checkpoint_;
    dop.local_node_id = node->info_.node_id();
    dop.views = views;
    dop.adopt_from.assign(agent_nodes->node_ids().begin(), agent_nodes->node_ids().end());
    // A node of the last view that cannot reach this coordinator stops its
    // agents when its lease runs out: only then may they be placed again.
    dop.adopt_window = adopt_window(config);
    if (node->metrics_) node->metrics_->add_collectable(std::make_shared<DispatchMetrics>(views));
    node->dispatcher_ = spawn_dispatcher(*node->system_, std::move(dop));
    node->supervisor_ = spawn_supervisor(*node->system_, so, node->dispatcher_, node->checkpoint_);
  }
  // The Monitor needs the membership to report to, and the membership the
  // Monitor to tell its samples from a peer's: the Monitor's first report
  // waits for both.
  auto monitor_options = monitor_options_of(config, node->info_, node->agent_host_);
  monitor_options.commands = node->commands_;
  monitor_options.metrics = counted<MonitorMetrics>(metrics);
  monitor_options.views = views;
  // Detached: heartbeats and failure detection never wait for the scheduler.
  auto pulse_options = pulse_options_of(config);
  pulse_options.node_id = node->info_.node_id();
  pulse_options.incarnation = node->info_.incarnation();
  node->pulse_ = spawn_pulse(*node->system_, pulse_options);
  node->pulse_done_ = done_notifying(node->pulse_);
  member.pulse = node->pulse_;
  // The membership of the node's role, told by its Pulse of liveness.
  if (config.role() == "worker") {
    node->worker_membership_ = spawn_worker_membership(
        *node->system_, {member, [n = node.get()](const caf::error& err) { n->set_fatal(err); }});
    node->membership_ = node->worker_membership_;
    caf::anon_send(node->pulse_, subscribe_atom::value,
                   coordinator_liveness_actor{node->worker_membership_},
                   fence_subscriber_actor{node->agent_host_});
  } else {
    auto coordinator = spawn_coordinator_membership(*node->system_,
                                                    {member, node->dispatcher_, gone_hold(config)});
    node->membership_ = coordinator;
    caf::anon_send(node->pulse_, subscribe_atom::value, member_liveness_actor{coordinator});
  }
  monitor_options.subscriber = node->membership_;
  node->monitor_ = spawn_monitor(*node->system_, std::move(monitor_options));
  caf::anon_send(node->membership_, monitor_atom::value, node->monitor_);

  // Published untyped, as peers see it: CAF lets remote_actor() connect only
  // when the client names the very interface published, so a typed one would
  // turn away radctl ping and every peer of another build before it could be
  // told why (kProtocolVersion).
  auto published = node->system_->middleman().publish(
      caf::actor_cast<caf::actor>(node->membership_), port, config.bind().c_str(), true);
  if (!published) {
    std::string why = node->system_->render(published.error());
    node->stop();
    return make_error(Errc::in_use,
                      "cannot listen on " + config.bind() + ":" + std::to_string(port) +
                          " (cluster port): " + why +
                          "; stop the process using it or pick another --cluster-port");
  }
  // The routes answer from what the actors publish: serve once each has told,
  // so that a node that says it is ready answers what it is (5 s at most: a
  // check of an actor still silent then says so).
  auto told = [&] {
    return views->cluster.get() && views->stats.get() &&
           (!node->supervisor_ || (views->store.get() && views->recovery.get()));
  };
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
       !told() && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  node->http_ = std::make_unique<HttpServer>(
      HttpServerOptions{config.bind(), static_cast<uint16_t>(config.http_port())});
  add_cluster_routes(*node->http_, views);
  node->extension_->started(
      {config, *node->system_, node->membership_, node->agent_host_, *node->http_, metrics});
  add_health_routes(*node->http_, views, static_cast<bool>(node->supervisor_));
  if (node->supervisor_)
    add_run_routes(*node->http_, *node->system_, node->supervisor_, node->checkpoint_, run_views,
                   views);
  if (auto err = node->http_->start()) {
    node->stop();
    return err;
  }
  if (node->metrics_) {
    node->metrics_http_ =
        std::make_unique<HttpServer>(HttpServerOptions{config.bind(), metrics_port});
    node->metrics_http_->route("GET", "/metrics", [metrics = node->metrics_](const HttpRequest&) {
      return HttpResponse{200, metrics->render(), kMetricsContentType};
    });
    if (auto err = node->metrics_http_->start()) {
      node->stop();
      return err;
    }
  }
  log->info("node {} ({}) listening on {}, http on {}:{}, metrics on {}:{}, data dir {}",
            node->info_.name(), config.role(), node->info_.address(), config.bind(),
            config.http_port(), config.bind(), metrics_port, config.data_dir());
  return node;
}

Node::~Node() { stop(); }

caf::error Node::fatal_error() const {
  std::lock_guard<std::mutex> guard{events_mutex_};
  return fatal_;
}

void Node::set_fatal(const caf::error& err) {
  {
    std::lock_guard<std::mutex> guard{events_mutex_};
    if (fatal_) return;
    fatal_ = err;
  }
  ::kill(::getpid(), SIGUSR1);
}

Node::Drain Node::drain_state() const {
  std::lock_guard<std::mutex> guard{events_mutex_};
  return drain_;
}

void Node::set_drain_state(Drain state) {
  {
    std::lock_guard<std::mutex> guard{events_mutex_};
    drain_ = state;
  }
  if (state == Drain::finished || state == Drain::deadline_passed) ::kill(::getpid(), SIGUSR1);
}

void Node::begin_drain(std::chrono::milliseconds deadline) {
  if (!membership_ || drain_state() != Drain::not_started) return;
  set_drain_state(Drain::running);
  // A request with a zero timeout would never be answered in time by design;
  // one millisecond still drains an idle node.
  deadline = std::max(deadline, std::chrono::milliseconds{1});
  auto started = std::chrono::steady_clock::now();
  system_->spawn([this, deadline, started, membership = membership_, host = agent_host_,
                  dispatcher = dispatcher_](caf::event_based_actor* self) {
    auto failed = [this](const caf::error&) { set_drain_state(Drain::deadline_passed); };
    auto left = [=] {
      return std::max(deadline - std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - started),
                      std::chrono::milliseconds{1});
    };
    // This node stores its own agents' results: every one it waited for is
    // committed before it exits, or it would run again.
    auto commit = [=] {
      if (!dispatcher) {
        set_drain_state(Drain::finished);
        return;
      }
      self->request(dispatcher, std::max(left(), std::chrono::milliseconds{1000}), sync_atom::value)
          .then([this](bool) { set_drain_state(Drain::finished); }, failed);
    };
    // The coordinator is told first, so that it places nothing new here; then
    // the agents here finish and send their results.
    self->request(membership, deadline, drain_atom::value)
        .then(
            [=](bool) {
              if (!host) return commit();
              self->request(host, left(), drain_atom::value).then([=](bool) { commit(); }, failed);
            },
            failed);
  });
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  // The routes hold the membership's handle: drop them before the actor system
  // waits for its actors to finish.
  http_.reset();
  metrics_http_.reset();
  if (system_ && membership_) {
    caf::scoped_actor self{*system_};
    // Agents still running are stopped (their attempts lost with this node)
    // and report so before the node leaves: their results travel ahead of the
    // leave notice on the same link.
    if (agent_host_) {
      self->request(membership_, kCancelGrace, drain_atom::value)
          .receive([](bool) {}, [](const caf::error&) {});
      self->request(agent_host_, kCancelGrace, drain_now_atom::value)
          .receive([](bool) {}, [](const caf::error&) {});
    }
    if (worker_membership_ && !fatal_error())
      self->request(worker_membership_, kCancelGrace, leave_atom::value)
          .receive([](bool) {}, [](const caf::error&) {});
    system_->middleman().unpublish(membership_, static_cast<uint16_t>(config_.cluster_port()));
    caf::anon_send_exit(membership_, caf::exit_reason::user_shutdown);
    membership_ = nullptr;
    worker_membership_ = nullptr;
  }
  // Also when start() failed half way: the actor system awaits every actor.
  if (extension_) extension_->stopping();
  auto exit = [](auto& actor) {  // handles of any interface
    if (actor) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    actor = nullptr;
  };
  exit(monitor_);
  exit(supervisor_);
  exit(checkpoint_);
  exit(dispatcher_);
  exit(agent_host_);
  exit(pulse_);
  // The detached actors must have sent their last notice before the actor
  // system stops the middleman, or the node may never exit. The destructor of
  // the actor system waits for the thread of each detached actor, which ends
  // only once the actor is destroyed (await_detached_threads, after it has
  // stopped the middleman). But an actor counts as done for the destructor
  // from the start of its cleanup (unregister_from_system), before its down
  // messages are sent; the BASP broker monitors every actor a peer holds a
  // handle of (the Pulse: both ends of each heartbeat), and its down message
  // carries a strong reference to the actor as sender. Sent once the
  // middleman has stopped the broker, it stays in a mailbox that a stopped
  // broker never empties (abstract_broker::cleanup skips
  // scheduled_actor::cleanup), of a broker the multiplexer holds until the
  // middleman is destroyed, after that wait: the Pulse outlives it and the
  // process hangs (a few SIGTERMs in a hundred under load, before this
  // wait). Sent now, the broker is running and handles it. The Pulse stops
  // only here, after the drain, cancel and leave: its lease holds until then.
  for (auto* done : {&pulse_done_, &checkpoint_done_})
    if (done->valid()) done->wait();
  // Joins every actor and the middleman's threads.
  system_.reset();
  // Kills and reaps whatever command outlived its agent.
  commands_.reset();
  // The exporter sends what the last spans left.
  stop_tracing();
  lock_.reset();
}

}  // namespace rad
