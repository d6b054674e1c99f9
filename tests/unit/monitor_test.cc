// The Monitor: parsing procfs and cgroup v2 from fixture trees
// (tests/fixtures/monitor), CPU percent from two readings, container limits,
// malformed and missing files, admission verdicts, and the actor's stats.
#include "actors/monitor/monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "actors/agent_host.h"
#include "harness/process.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"

namespace rad {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1024 * 1024;
// host/proc/meminfo: MemTotal 16384000 kB, MemAvailable 4096000 kB.
constexpr uint64_t kHostMemoryTotal = 16384000ull * 1024;
constexpr uint64_t kHostMemoryUsed = (16384000ull - 4096000ull) * 1024;

std::string fixture(const std::string& tree) {
  return std::string(RAD_FIXTURES) + "/monitor/" + tree;
}

std::unique_ptr<ResourceSampler> fixture_sampler(const std::string& tree) {
  return ResourceSampler::linux_at(fixture(tree) + "/proc", fixture(tree) + "/sys/fs/cgroup");
}

uint32_t portable_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// A writable copy of a fixture tree: the test controls the second reading.
class FixtureCopy {
 public:
  explicit FixtureCopy(const std::string& tree) {
    fs::copy(fixture(tree), dir_.path(), fs::copy_options::recursive);
  }

  // Replaced in one step, as the kernel does: a sampler never sees half a file.
  void write(const std::string& relative, const std::string& content) const {
    std::string path = dir_.path() + "/" + relative;
    std::ofstream{path + ".new", std::ios::binary} << content;
    fs::rename(path + ".new", path);
  }

  std::string read(const std::string& relative) const {
    std::ifstream in(dir_.path() + "/" + relative, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::unique_ptr<ResourceSampler> sampler() const {
    return ResourceSampler::linux_at(dir_.path() + "/proc", dir_.path() + "/sys/fs/cgroup");
  }

  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path()))
      if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir_.path()));
    return out;
  }

 private:
  TempDir dir_;
};

// ---- ResourceSampler ----

TEST(ResourceSamplerTest, ReadsEveryHostFileOfTheFixture) {
  auto s = fixture_sampler("host")->sample();
  EXPECT_EQ(s.source, "procfs");
  EXPECT_EQ(s.cpu_percent, 0);  // one reading: no interval yet
  EXPECT_EQ(s.cpu_cores, 4u);
  EXPECT_EQ(s.memory_total_bytes, kHostMemoryTotal);
  EXPECT_EQ(s.memory_used_bytes, kHostMemoryUsed);
  EXPECT_DOUBLE_EQ(s.load1, 0.52);
  EXPECT_DOUBLE_EQ(s.load5, 1.25);
  EXPECT_DOUBLE_EQ(s.load15, 2.50);
  EXPECT_EQ(s.threads, 456u);  // loadavg "3/456"
  EXPECT_EQ(s.processes, 3u);  // 1, 42, 1234; not 12ab/, self/ or the file 77
}

TEST(ResourceSamplerTest, CpuPercentIsTheBusyShareBetweenTwoReadings) {
  FixtureCopy host("host");
  auto sampler = host.sampler();
  EXPECT_EQ(sampler->sample().cpu_percent, 0);
  // +600 user, +150 system, +200 idle, +50 iowait: 250 of 1000 ticks idle.
  host.write("proc/stat", "cpu  1600 0 650 8200 550 0 0 0 0 0\ncpu0 1 2 3 4\n");
  EXPECT_DOUBLE_EQ(sampler->sample().cpu_percent, 75);
  EXPECT_EQ(sampler->sample().cpu_percent, 0);  // no tick passed
  // Steal counts as busy; guest time is already in user and is not counted twice.
  host.write("proc/stat", "cpu  1700 0 650 8300 550 0 0 100 999 999\n");
  EXPECT_DOUBLE_EQ(sampler->sample().cpu_percent, 200.0 / 300 * 100);
}

TEST(ResourceSamplerTest, CountersThatGoBackwardsReportZeroNotGarbage) {
  FixtureCopy host("host");
  auto sampler = host.sampler();
  sampler->sample();
  host.write("proc/stat", "cpu  10 0 5 80 5 0 0 0 0 0\n");
  EXPECT_EQ(sampler->sample().cpu_percent, 0);
  host.write("proc/stat", "cpu  20 0 5 170 5 0 0 0 0 0\n");  // counting again from there
  EXPECT_DOUBLE_EQ(sampler->sample().cpu_percent, 10);
}

TEST(ResourceSamplerTest, CgroupLimitsOverrideHostValues) {
  auto s = fixture_sampler("container")->sample();
  EXPECT_EQ(s.source, "cgroup2");
  EXPECT_EQ(s.memory_total_bytes, 512 * kMiB);  // memory.max, below MemTotal
  EXPECT_EQ(s.memory_used_bytes, 256 * kMiB);   // memory.current
  EXPECT_EQ(s.cpu_cores, 2u);                   // cpu.max 150000 100000, rounded up
  EXPECT_EQ(s.threads, 37u);                    // pids.current, as pids.max limits
  EXPECT_EQ(s.processes, 2u);
  EXPECT_DOUBLE_EQ(s.load1, 1.5);  // the host's load: not namespaced
  EXPECT_EQ(s.cpu_percent, 0);
}

TEST(ResourceSamplerTest, ContainerCpuPercentIsRelativeToItsQuota) {
  FixtureCopy container("container");
  auto sampler = container.sampler();
  EXPECT_EQ(sampler->sample().cpu_percent, 0);
  // 0.75 CPU-seconds in one second of a 1.5 CPU quota.
  container.write("sys/fs/cgroup/docker/abc123/cpu.stat", "usage_usec 5750000\n");
  container.write("proc/uptime", "1001.00 3001.00\n");
  EXPECT_DOUBLE_EQ(sampler->sample().cpu_percent, 50);
  // Using the whole quota is 100%, though it is less than two whole cores.
  container.write("sys/fs/cgroup/docker/abc123/cpu.stat", "usage_usec 8750000\n");
  container.write("proc/uptime", "1003.00 3001.00\n");
  EXPECT_DOUBLE_EQ(sampler->sample().cpu_percent, 100);
  // The clock did not move: no interval, no figure.
  EXPECT_EQ(sampler->sample().cpu_percent, 0);
}

TEST(ResourceSamplerTest, UnreadableContainerUsageFallsBackToTheHostsCpu) {
  FixtureCopy container("container");
  container.write("sys/fs/cgroup/docker/abc123/cpu.stat", "garbage\n");
  auto sampler = container.sampler();
  sampler->sample();
  container.write("proc/stat", "cpu  1600 0 650 8200 550 0 0 0 0 0\n");
  auto s = sampler->sample();
  EXPECT_DOUBLE_EQ(s.cpu_percent, 75);
  EXPECT_EQ(s.cpu_cores, 2u);  // the quota still caps the cores
}

TEST(ResourceSamplerTest, MaxMeansUnlimited) {
  // The host fixture's cgroup has memory.max, cpu.max and pids.max "max".
  auto host = fixture_sampler("host")->sample();
  EXPECT_EQ(host.source, "procfs");
  EXPECT_EQ(host.memory_total_bytes, kHostMemoryTotal);
  EXPECT_EQ(host.cpu_cores, 4u);

  FixtureCopy container("container");
  container.write("sys/fs/cgroup/docker/abc123/memory.max", "max\n");
  container.write("sys/fs/cgroup/docker/abc123/cpu.max", "max 100000\n");
  container.write("sys/fs/cgroup/docker/abc123/pids.max", "max\n");
  auto s = container.sampler()->sample();
  EXPECT_EQ(s.source, "procfs");
  EXPECT_EQ(s.memory_total_bytes, kHostMemoryTotal);
  EXPECT_EQ(s.memory_used_bytes, kHostMemoryUsed);
  EXPECT_EQ(s.cpu_cores, 4u);
  EXPECT_EQ(s.threads, 300u);  // loadavg "2/300"
}

TEST(ResourceSamplerTest, LimitsAboveTheHostsCapacityChangeNothing) {
  FixtureCopy container("container");
  container.write("sys/fs/cgroup/docker/abc123/memory.max", "1000000000000000\n");
  container.write("sys/fs/cgroup/docker/abc123/cpu.max", "800000 100000\n");
  container.write("sys/fs/cgroup/docker/abc123/pids.max", "max\n");
  auto s = container.sampler()->sample();
  EXPECT_EQ(s.source, "procfs");
  EXPECT_EQ(s.memory_total_bytes, kHostMemoryTotal);
  EXPECT_EQ(s.cpu_cores, 4u);
}

TEST(ResourceSamplerTest, AParentCgroupsTighterLimitBinds) {
  FixtureCopy container("container");
  container.write("sys/fs/cgroup/docker/memory.max", "268435456\n");
  container.write("sys/fs/cgroup/docker/memory.current", "200000000\n");
  container.write("sys/fs/cgroup/docker/cpu.max", "50000 100000\n");
  auto s = container.sampler()->sample();
  EXPECT_EQ(s.memory_total_bytes, 256 * kMiB);
  EXPECT_EQ(s.memory_used_bytes, 200000000u);  // read where the limit is
  EXPECT_EQ(s.cpu_cores, 1u);
}

TEST(ResourceSamplerTest, ACgroupOutsideThisNamespaceIsIgnored) {
  FixtureCopy container("container");
  container.write("proc/self/cgroup", "0::/../../docker/abc123\n");
  auto s = container.sampler()->sample();
  EXPECT_EQ(s.source, "procfs");
  EXPECT_EQ(s.memory_total_bytes, kHostMemoryTotal);
}

TEST(ResourceSamplerTest, ACgroupPathMissingUnderTheMountMeansTheMountIsTheCgroup) {
  // Without a cgroup namespace /proc/self/cgroup names the host's path, while
  // the container's own cgroup is what is mounted.
  FixtureCopy root("container");
  root.write("proc/self/cgroup", "0::/system.slice/docker-abc123.scope\n");
  root.write("sys/fs/cgroup/memory.max", "536870912\n");
  root.write("sys/fs/cgroup/memory.current", "1048576\n");
  auto s = root.sampler()->sample();
  EXPECT_EQ(s.source, "cgroup2");
  EXPECT_EQ(s.memory_total_bytes, 512 * kMiB);
  EXPECT_EQ(s.memory_used_bytes, kMiB);
}

TEST(ResourceSamplerTest, MalformedFilesFallBackWithoutCrashing) {
  auto sampler = fixture_sampler("malformed");
  for (int i = 0; i < 2; ++i) {
    auto s = sampler->sample();
    EXPECT_EQ(s.source, "procfs");
    EXPECT_EQ(s.cpu_percent, 0);
    EXPECT_EQ(s.cpu_cores, portable_cores());
    EXPECT_EQ(s.memory_total_bytes, 0u);
    EXPECT_EQ(s.memory_used_bytes, 0u);
    EXPECT_EQ(s.load1, 0);
    EXPECT_EQ(s.threads, 0u);
    EXPECT_EQ(s.processes, 0u);  // 0x1/ is not a process
  }
}

TEST(ResourceSamplerTest, MissingFilesFallBackWithoutCrashing) {
  auto sampler = ResourceSampler::linux_at("/nonexistent/proc", "/nonexistent/sys/fs/cgroup");
  for (int i = 0; i < 2; ++i) {
    auto s = sampler->sample();
    EXPECT_EQ(s.source, "procfs");
    EXPECT_EQ(s.cpu_cores, portable_cores());
    EXPECT_EQ(s.memory_total_bytes, 0u);
    EXPECT_EQ(s.processes, 0u);
  }
}

TEST(ResourceSamplerTest, AnyFileWithAnyGarbageGivesASaneSample) {
  const std::vector<std::string> garbage = {"",           "max",
                                            "-1",         "18446744073709551616",
                                            "1e400",      "nan",
                                            "0 100000",   "100000 0",
                                            "\n\n",       std::string("\0\xff\x01", 3),
                                            "cpu 1 2",    "0::/a/../b",
                                            "usage_usec", "MemTotal: 18446744073709551615 kB"};
  FixtureCopy container("container");
  for (const auto& file : container.files()) {
    const std::string original = container.read(file);
    for (const auto& content : garbage) {
      container.write(file, content);
      auto sampler = container.sampler();
      for (int i = 0; i < 2; ++i) {
        auto s = sampler->sample();
        EXPECT_GE(s.cpu_cores, 1u) << file << ": " << content;
        EXPECT_LE(s.memory_used_bytes, s.memory_total_bytes) << file << ": " << content;
        EXPECT_GE(s.cpu_percent, 0);
        EXPECT_LE(s.cpu_percent, 100);
      }
    }
    container.write(file, original);
  }
}

TEST(ResourceSamplerTest, ThisHostHasSaneValues) {
  auto sampler = ResourceSampler::for_this_host();
  auto first = sampler->sample();
  std::this_thread::sleep_for(50ms);
  auto s = sampler->sample();
  EXPECT_GT(s.memory_total_bytes, 0u);
  EXPECT_LE(s.memory_used_bytes, s.memory_total_bytes);
  EXPECT_GE(s.cpu_cores, 1u);
  EXPECT_GE(s.processes, 1u);
  EXPECT_GE(s.cpu_percent, 0);
  EXPECT_LE(s.cpu_percent, 100);
  EXPECT_GE(s.load1, 0);
#ifdef __linux__
  EXPECT_GE(s.threads, s.processes);  // every process has a thread
  EXPECT_TRUE(s.source == "procfs" || s.source == "cgroup2") << s.source;
#endif
  EXPECT_EQ(first.source, s.source);
}

TEST(ResourceSamplerTest, ThePortableFallbackKnowsCoresAndLoad) {
  auto s = ResourceSampler::portable()->sample();
  EXPECT_EQ(s.source, "fallback");
  EXPECT_EQ(s.cpu_cores, portable_cores());
  EXPECT_GE(s.load1, 0);
}

// ---- Admission ----

ResourceSample sample_of(double cpu, uint64_t used, uint64_t total, uint32_t processes = 10,
                         uint32_t threads = 100) {
  ResourceSample s;
  s.cpu_percent = cpu;
  s.memory_used_bytes = used;
  s.memory_total_bytes = total;
  s.processes = processes;
  s.threads = threads;
  s.cpu_cores = 4;
  s.source = "procfs";
  return s;
}

AdmissionThresholds limits() {
  AdmissionThresholds t;
  t.max_processes = 100;
  t.max_threads = 1000;
  return t;
}

TEST(AdmissionTest, AdmitsBelowEveryThreshold) {
  auto a = admit(sample_of(89.9, 899, 1000, 99, 999), 9999, limits());
  EXPECT_TRUE(a.admits);
  EXPECT_EQ(a.refusal, "");
}

TEST(AdmissionTest, RefusesAtEachThreshold) {
  EXPECT_EQ(admit(sample_of(90, 0, 1000), 0, limits()).refusal, "cpu 90.0% >= 90%");
  EXPECT_EQ(admit(sample_of(0, 900, 1000), 0, limits()).refusal, "memory 90.0% >= 90%");
  EXPECT_EQ(admit(sample_of(0, 0, 1000, 100), 0, limits()).refusal, "processes 100 >= 100");
  EXPECT_EQ(admit(sample_of(0, 0, 1000, 1, 1000), 0, limits()).refusal, "threads 1000 >= 1000");
  auto agents = admit(sample_of(0, 0, 1000), 10000, limits());
  EXPECT_FALSE(agents.admits);
  EXPECT_EQ(agents.refusal, "agents 10000 >= 10000");
}

TEST(AdmissionTest, RefusesAboveEachThreshold) {
  auto t = limits();
  t.max_cpu_percent = 87.5;
  EXPECT_EQ(admit(sample_of(95.5, 0, 1000), 0, t).refusal, "cpu 95.5% >= 87.5%");
  auto memory = admit(sample_of(0, 931, 1000), 0, t);
  EXPECT_FALSE(memory.admits);
  EXPECT_EQ(memory.refusal, "memory 93.1% >= 90%");
  EXPECT_EQ(admit(sample_of(0, 0, 1000, 150), 0, t).refusal, "processes 150 >= 100");
  EXPECT_EQ(admit(sample_of(0, 0, 1000, 1, 5000), 0, t).refusal, "threads 5000 >= 1000");
  EXPECT_EQ(admit(sample_of(0, 0, 1000), 12000, t).refusal, "agents 12000 >= 10000");
}

TEST(AdmissionTest, EveryExceededResourceIsNamedOnOneLine) {
  auto a = admit(sample_of(95, 931, 1000), 10000, limits());
  EXPECT_FALSE(a.admits);
  EXPECT_EQ(a.refusal, "agents 10000 >= 10000; memory 93.1% >= 90%; cpu 95.0% >= 90%");
}

TEST(AdmissionTest, AZeroThresholdSwitchesItsCheckOff) {
  AdmissionThresholds off{0, 0, 0, 0, 0};
  EXPECT_TRUE(admit(sample_of(100, 1000, 1000, 1000000, 1000000), 1000000, off).admits);
  EXPECT_TRUE(admit(sample_of(0, 0, 1000, 1000000, 1000000), 0, AdmissionThresholds{}).admits);
}

TEST(AdmissionTest, UnknownMemoryIsNotJudged) {
  EXPECT_TRUE(admit(sample_of(0, 5000, 0), 0, limits()).admits);
}

TEST(AdmissionTest, ToNodeStatsCopiesTheSampleAndVerdict) {
  auto before = std::chrono::system_clock::now();
  auto s = sample_of(42.5, 931, 1000, 12, 345);
  s.load1 = 1.5;
  s.load5 = 2.5;
  s.load15 = 3.5;
  auto verdict = admit(s, 7, limits());
  auto stats = to_node_stats(s, 7, verdict);
  auto after = std::chrono::system_clock::now();
  EXPECT_DOUBLE_EQ(stats.cpu_percent(), 42.5);
  EXPECT_EQ(stats.memory_used_bytes(), 931u);
  EXPECT_EQ(stats.memory_total_bytes(), 1000u);
  EXPECT_DOUBLE_EQ(stats.load1(), 1.5);
  EXPECT_DOUBLE_EQ(stats.load5(), 2.5);
  EXPECT_DOUBLE_EQ(stats.load15(), 3.5);
  EXPECT_EQ(stats.processes(), 12u);
  EXPECT_EQ(stats.threads(), 345u);
  EXPECT_EQ(stats.running_agents(), 7u);
  EXPECT_FALSE(stats.admits());
  EXPECT_EQ(stats.refusal(), "memory 93.1% >= 90%");
  // Full precision: nanoseconds, within the call.
  auto ns = [](auto t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  };
  int64_t sampled = stats.sampled_at().seconds() * 1000000000 + stats.sampled_at().nanos();
  EXPECT_GE(sampled, ns(before));
  EXPECT_LE(sampled, ns(after));
}

// ---- Monitor ----

// Counts its samples in `processes`, so a test sees sampling go on.
class CountingSampler : public ResourceSampler {
 public:
  explicit CountingSampler(std::shared_ptr<std::atomic<uint32_t>> calls) : calls_(calls) {}
  ResourceSample sample() override {
    ResourceSample s;
    s.processes = ++*calls_;
    s.memory_total_bytes = 1000;
    s.cpu_cores = 1;
    s.source = "fallback";
    return s;
  }

 private:
  std::shared_ptr<std::atomic<uint32_t>> calls_;
};

class MonitorTest : public ::testing::Test {
 protected:
  MonitorOptions options(std::string tree = "host") {
    MonitorOptions o;
    o.interval = 20ms;
    o.node_id = "n1";
    o.incarnation = 7;
    o.make_sampler = [tree] { return fixture_sampler(tree); };
    return o;
  }

  monitor_actor start(MonitorOptions o) {
    auto monitor = spawn_monitor(system_, std::move(o));
    actors_.push_back(caf::actor_cast<caf::actor>(monitor));
    return monitor;
  }

  v1::NodeStats stats(const monitor_actor& monitor) {
    v1::NodeStats out;
    self_->request(monitor, 5s, stats_atom::value)
        .receive([&](const Proto<v1::NodeStats>& s) { out = s.value; },
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return out;
  }

  // The first stats that satisfy `done`, or the last seen after 5 s.
  template <class Pred>
  v1::NodeStats stats_until(const monitor_actor& monitor, Pred done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    auto s = stats(monitor);
    while (!done(s) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      s = stats(monitor);
    }
    return s;
  }

  void TearDown() override {
    for (auto& a : actors_) self_->send_exit(a, caf::exit_reason::user_shutdown);
  }

  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  std::vector<caf::actor> actors_;
};

TEST_F(MonitorTest, AnswersStatsWithItsNodeAndAFixtureSample) {
  auto monitor = start(options("host"));
  auto s = stats(monitor);
  EXPECT_EQ(s.node_id(), "n1");
  EXPECT_EQ(s.incarnation(), 7u);
  EXPECT_GT(s.sampled_at().seconds(), 0);
  EXPECT_EQ(s.memory_total_bytes(), kHostMemoryTotal);
  EXPECT_EQ(s.memory_used_bytes(), kHostMemoryUsed);
  EXPECT_DOUBLE_EQ(s.load1(), 0.52);
  EXPECT_EQ(s.processes(), 3u);
  EXPECT_EQ(s.threads(), 456u);
  EXPECT_EQ(s.running_agents(), 0u);  // no AgentHost
  EXPECT_TRUE(s.admits());            // memory 75%, below 90%
  EXPECT_EQ(s.refusal(), "");
}

TEST_F(MonitorTest, ReportsTheContainersLimitsAndRefusesAtTheMemoryThreshold) {
  auto o = options("container");
  o.thresholds.max_memory_percent = 50;  // the container uses 256 of 512 MiB
  auto s = stats(start(o));
  EXPECT_EQ(s.memory_total_bytes(), 512 * kMiB);
  EXPECT_FALSE(s.admits());
  EXPECT_EQ(s.refusal(), "memory 50.0% >= 50%");
}

TEST_F(MonitorTest, SamplesEveryInterval) {
  auto calls = std::make_shared<std::atomic<uint32_t>>(0);
  auto o = options();
  o.make_sampler = [calls] { return std::make_unique<CountingSampler>(calls); };
  auto monitor = start(o);
  auto first = stats(monitor);
  auto later = stats_until(monitor, [](const v1::NodeStats& s) { return s.processes() >= 4; });
  EXPECT_GE(later.processes(), 4u);
  auto ns = [](const google::protobuf::Timestamp& t) {
    return t.seconds() * 1000000000 + t.nanos();
  };
  EXPECT_GT(ns(later.sampled_at()), ns(first.sampled_at()));
}

TEST_F(MonitorTest, CountsTheAgentHostsRunningAgents) {
  auto host =
      system_.spawn([]() -> caf::behavior { return {[](running_atom) { return uint32_t{5}; }}; });
  actors_.push_back(host);
  auto o = options();
  // It stands in for an AgentHost and answers running_atom alone.
  o.agent_host = caf::actor_cast<agent_host_actor>(host);
  o.thresholds.max_agents = 5;
  auto s = stats_until(start(o), [](const v1::NodeStats& s) { return s.running_agents() == 5; });
  EXPECT_EQ(s.running_agents(), 5u);
  EXPECT_FALSE(s.admits());
  EXPECT_EQ(s.refusal(), "agents 5 >= 5");
}

TEST_F(MonitorTest, AsksARealAgentHost) {
  auto host =
      spawn_agent_host(system_, {AgentContext{"n1", 7}, 10u, AgentMetrics::unscraped(), nullptr});
  actors_.push_back(caf::actor_cast<caf::actor>(host));
  auto o = options();
  o.agent_host = host;
  auto monitor = start(o);
  std::this_thread::sleep_for(100ms);  // a few intervals of answers
  auto s = stats(monitor);
  EXPECT_EQ(s.node_id(), "n1");
  EXPECT_EQ(s.running_agents(), 0u);
  EXPECT_TRUE(s.admits());
}

TEST_F(MonitorTest, WithoutASamplerFactoryItSamplesThisHost) {
  auto o = options();
  o.make_sampler = nullptr;
  auto s = stats(start(o));
  EXPECT_EQ(s.node_id(), "n1");
  EXPECT_GT(s.memory_total_bytes(), 0u);
  EXPECT_GE(s.processes(), 1u);
}

}  // namespace
}  // namespace rad
