// ResourceSampler: what this host (or the container it runs in) has and uses
// now: CPU, memory, load, processes and threads. The Monitor turns samples
// into NodeStats and admission verdicts.
//
//   auto sampler = rad::ResourceSampler::for_this_host();
//   rad::ResourceSample s = sampler->sample();
//
// A sampler never throws and never fails: what it cannot read is reported as
// zero (cpu_cores as at least 1), so a node that cannot measure itself still
// admits work and the agent limit still applies. A sampler keeps the previous
// CPU reading and is therefore not thread-safe: one owner calls sample().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rad {

struct ResourceSample {
  // Busy share of the CPUs this node may use, 0..100, since the previous
  // sample() of the same sampler; the first sample() reports 0.
  double cpu_percent = 0;
  uint64_t memory_used_bytes = 0;
  // The host's memory, or the container's limit when that is lower.
  uint64_t memory_total_bytes = 0;
  // The host's load averages (not namespaced, also inside a container).
  double load1 = 0, load5 = 0, load15 = 0;
  uint32_t processes = 0;
  // Threads (tasks) on the host, or in the container when it limits them.
  uint32_t threads = 0;
  // CPUs this node may use: the host's, or the container's quota rounded up.
  uint32_t cpu_cores = 0;
  // Where the figures come from: "procfs", "cgroup2" (a container limit
  // applied), "macos" or "fallback".
  std::string source;
};

class ResourceSampler {
 public:
  // The sampler for the platform this binary runs on: Linux procfs and
  // cgroup v2, macOS, or the portable fallback.
  static std::unique_ptr<ResourceSampler> for_this_host();

  // Linux: reads <proc_root>/{stat,meminfo,loadavg,uptime,self/cgroup} and
  // the cgroup v2 files under <sys_fs_cgroup_root>. Tests point it at fixture
  // directories; for_this_host() uses "/proc" and "/sys/fs/cgroup". Plain file
  // parsing, so it builds (and runs on fixtures) on every platform.
  static std::unique_ptr<ResourceSampler> linux_at(std::string proc_root,
                                                   std::string sys_fs_cgroup_root);

  // Any platform: std::thread::hardware_concurrency() and getloadavg() where
  // available, zeros elsewhere.
  static std::unique_ptr<ResourceSampler> portable();

  ResourceSampler() = default;
  ResourceSampler(const ResourceSampler&) = delete;
  ResourceSampler& operator=(const ResourceSampler&) = delete;
  virtual ~ResourceSampler() = default;

  virtual ResourceSample sample() = 0;
};

}  // namespace rad
