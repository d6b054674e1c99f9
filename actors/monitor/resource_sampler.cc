#include "actors/monitor/resource_sampler.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#ifdef __APPLE__
#include <libproc.h>
#include <mach/mach.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace rad {
namespace {

namespace fs = std::filesystem;

// procfs and cgroup files are small; a bound keeps a wrong path (a device, a
// huge file) from costing memory.
constexpr std::streamsize kMaxFileBytes = 1 << 20;

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->clear();
  char chunk[4096];
  while (in && out->size() < static_cast<size_t>(kMaxFileBytes)) {
    in.read(chunk, sizeof(chunk));
    out->append(chunk, static_cast<size_t>(in.gcount()));
  }
  return !in.bad() && !out->empty();
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(separators, pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find_first_of(separators, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    pos = end;
  }
  return parts;
}

std::vector<std::string_view> lines_of(std::string_view text) { return split(text, "\n"); }
std::vector<std::string_view> words_of(std::string_view text) { return split(text, " \t\r\n"); }

std::string_view trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

// The whole token must be a number: "12abc" and "-1" are malformed.
bool parse_u64(std::string_view token, uint64_t* out) {
  if (token.empty()) return false;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
  return ec == std::errc() && end == token.data() + token.size();
}

// strtod, not from_chars: floating-point from_chars is missing from older
// macOS standard libraries.
bool parse_double(std::string_view token, double* out) {
  if (token.empty()) return false;
  std::string copy(token);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value) || value < 0) return false;
  *out = value;
  return true;
}

uint32_t clamp_u32(uint64_t value) {
  return static_cast<uint32_t>(std::min<uint64_t>(value, std::numeric_limits<uint32_t>::max()));
}

double clamp_percent(double value) { return std::clamp(value, 0.0, 100.0); }

uint32_t portable_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// ---- /proc ----

bool all_digits(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct CpuTimes {
  uint64_t idle = 0;   // idle + iowait
  uint64_t total = 0;  // user .. steal; guest time is already inside user and nice
};

// The aggregate "cpu" line, and the number of "cpuN" lines.
bool parse_proc_stat(std::string_view text, CpuTimes* times, uint32_t* cores) {
  bool found = false;
  *cores = 0;
  for (auto line : lines_of(text)) {
    auto words = words_of(line);
    if (words.empty() || words[0].substr(0, 3) != "cpu") continue;
    if (words[0] != "cpu") {
      if (all_digits(words[0].substr(3))) ++*cores;
      continue;
    }
    // user nice system idle iowait irq softirq steal: older kernels have fewer.
    if (words.size() < 5) return false;
    CpuTimes t;
    for (size_t i = 1; i < words.size() && i <= 8; ++i) {
      uint64_t v = 0;
      if (!parse_u64(words[i], &v)) return false;
      t.total += v;
      if (i == 4 || i == 5) t.idle += v;
    }
    *times = t;
    found = true;
  }
  return found;
}

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};

bool parse_meminfo(std::string_view text, MemInfo* info) {
  std::optional<uint64_t> total, available, free;
  for (auto line : lines_of(text)) {
    auto words = words_of(line);
    uint64_t kib = 0;
    if (words.size() < 2 || !parse_u64(words[1], &kib)) continue;
    if (kib > std::numeric_limits<uint64_t>::max() / 1024) continue;
    if (words[0] == "MemTotal:") total = kib * 1024;
    if (words[0] == "MemAvailable:") available = kib * 1024;
    if (words[0] == "MemFree:") free = kib * 1024;
  }
  if (!total) return false;
  info->total_bytes = *total;
  // Kernels before 3.14 have no MemAvailable; free memory underestimates it.
  info->available_bytes = std::min(*total, available.value_or(free.value_or(*total)));
  return true;
}

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  uint32_t threads = 0;
};

// "0.52 1.25 2.50 3/456 7890": three loads, runnable/total tasks, last pid.
bool parse_loadavg(std::string_view text, LoadAvg* load) {
  auto words = words_of(text);
  LoadAvg l;
  if (words.size() < 4 || !parse_double(words[0], &l.load1) || !parse_double(words[1], &l.load5) ||
      !parse_double(words[2], &l.load15))
    return false;
  auto slash = words[3].find('/');
  uint64_t threads = 0;
  if (slash == std::string_view::npos || !parse_u64(words[3].substr(slash + 1), &threads))
    return false;
  l.threads = clamp_u32(threads);
  *load = l;
  return true;
}

bool parse_uptime_seconds(std::string_view text, double* seconds) {
  auto words = words_of(text);
  return !words.empty() && parse_double(words[0], seconds);
}

uint32_t count_processes(const std::string& proc_root) {
  std::error_code ec;
  fs::directory_iterator it(proc_root, ec), end;
  uint64_t count = 0;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (all_digits(it->path().filename().string()) && it->is_directory(type_ec)) ++count;
  }
  return clamp_u32(count);
}

// ---- cgroup v2 ----

// The unified hierarchy's line of /proc/self/cgroup, "0::/some/path". A path
// with ".." lies outside this cgroup namespace: nothing of it is visible.
std::optional<std::string> parse_cgroup_path(std::string_view text) {
  for (auto line : lines_of(text)) {
    if (line.substr(0, 3) != "0::") continue;
    auto path = trim(line.substr(3));
    auto parts = split(path, "/");
    if (path.empty() || path.front() != '/' || std::count(parts.begin(), parts.end(), "..") > 0)
      return std::nullopt;
    return std::string(path);
  }
  return std::nullopt;
}

// A limit file: a number, or "max" for none. False when malformed.
bool parse_limit(std::string_view text, std::optional<uint64_t>* limit) {
  auto words = words_of(text);
  if (words.size() != 1) return false;
  if (words[0] == "max") {
    limit->reset();
    return true;
  }
  uint64_t v = 0;
  if (!parse_u64(words[0], &v)) return false;
  *limit = v;
  return true;
}

// cpu.max, "quota period" or "max period": the CPUs the cgroup may use.
std::optional<double> parse_cpu_max(std::string_view text) {
  auto words = words_of(text);
  uint64_t quota = 0, period = 0;
  if (words.size() != 2 || words[0] == "max" || !parse_u64(words[0], &quota) ||
      !parse_u64(words[1], &period) || quota == 0 || period == 0)
    return std::nullopt;
  return static_cast<double>(quota) / static_cast<double>(period);
}

bool parse_usage_usec(std::string_view text, uint64_t* usec) {
  for (auto line : lines_of(text)) {
    auto words = words_of(line);
    if (words.size() == 2 && words[0] == "usage_usec") return parse_u64(words[1], usec);
  }
  return false;
}

std::optional<uint64_t> read_u64(const std::string& path) {
  std::string text;
  auto words = read_file(path, &text) ? words_of(text) : std::vector<std::string_view>{};
  uint64_t v = 0;
  if (words.size() != 1 || !parse_u64(words[0], &v)) return std::nullopt;
  return v;
}

// The tightest limit on the way from the process's cgroup up to the root: a
// parent's limit binds its children too. Usage is read where the limit is.
struct CgroupLimits {
  std::optional<uint64_t> memory_max;
  std::string memory_dir;
  std::optional<double> cpus;
  std::string cpu_dir;
  std::optional<uint64_t> pids_max;
  std::string pids_dir;
};

std::vector<std::string> cgroup_dirs(const std::string& root, const std::string& path) {
  std::error_code ec;
  std::vector<std::string> dirs;
  // Without a cgroup namespace a container sees the host's path for itself
  // while its own cgroup is mounted at the root: then only the root counts.
  if (!fs::is_directory(root + path, ec)) return {root};
  for (std::string p = path; !p.empty() && p != "/"; p = p.substr(0, p.rfind('/')))
    dirs.push_back(root + p);
  dirs.push_back(root);
  return dirs;
}

CgroupLimits read_cgroup_limits(const std::string& root, const std::string& path) {
  CgroupLimits limits;
  for (const auto& dir : cgroup_dirs(root, path)) {
    std::string text;
    std::optional<uint64_t> limit;
    if (read_file(dir + "/memory.max", &text) && parse_limit(text, &limit) && limit &&
        (!limits.memory_max || *limit < *limits.memory_max)) {
      limits.memory_max = limit;
      limits.memory_dir = dir;
    }
    std::optional<double> cpus;
    if (read_file(dir + "/cpu.max", &text) && (cpus = parse_cpu_max(text)) &&
        (!limits.cpus || *cpus < *limits.cpus)) {
      limits.cpus = cpus;
      limits.cpu_dir = dir;
    }
    if (read_file(dir + "/pids.max", &text) && parse_limit(text, &limit) && limit &&
        (!limits.pids_max || *limit < *limits.pids_max)) {
      limits.pids_max = limit;
      limits.pids_dir = dir;
    }
  }
  return limits;
}

// ---- samplers ----

class LinuxSampler : public ResourceSampler {
 public:
  LinuxSampler(std::string proc_root, std::string cgroup_root)
      : proc_(std::move(proc_root)), cgroup_root_(std::move(cgroup_root)) {}

  ResourceSample sample() override {
    ResourceSample s;
    s.source = "procfs";
    std::string text;

    CpuTimes cpu;
    uint32_t cores = 0;
    bool have_cpu = read_file(proc_ + "/stat", &text) && parse_proc_stat(text, &cpu, &cores);
    s.cpu_cores = cores > 0 ? cores : portable_cores();
    if (have_cpu) {
      if (last_cpu_ && cpu.total > last_cpu_->total && cpu.idle >= last_cpu_->idle) {
        double total = static_cast<double>(cpu.total - last_cpu_->total);
        double idle = static_cast<double>(cpu.idle - last_cpu_->idle);
        s.cpu_percent = clamp_percent(100.0 * (1.0 - idle / total));
      }
      last_cpu_ = cpu;
    }

    MemInfo mem;
    if (read_file(proc_ + "/meminfo", &text) && parse_meminfo(text, &mem)) {
      s.memory_total_bytes = mem.total_bytes;
      s.memory_used_bytes = mem.total_bytes - mem.available_bytes;
    }

    LoadAvg load;
    if (read_file(proc_ + "/loadavg", &text) && parse_loadavg(text, &load)) {
      s.load1 = load.load1;
      s.load5 = load.load5;
      s.load15 = load.load15;
      s.threads = load.threads;
    }
    s.processes = count_processes(proc_);

    apply_cgroup(&s);
    return s;
  }

 private:
  struct CgroupCpu {
    std::string dir;
    uint64_t usage_usec = 0;
    double seconds = 0;  // a clock: /proc/uptime, so fixtures control it too
  };

  // A cgroup figure replaces the host's only where the cgroup limits the
  // resource: an unlimited container competes for the host's resources.
  void apply_cgroup(ResourceSample* s) {
    std::string text;
    std::optional<std::string> path;
    if (!read_file(proc_ + "/self/cgroup", &text) || !(path = parse_cgroup_path(text))) {
      last_cgroup_cpu_.reset();
      return;
    }
    auto limits = read_cgroup_limits(cgroup_root_, *path);
    bool limited = false;

    if (limits.memory_max &&
        (s->memory_total_bytes == 0 || *limits.memory_max < s->memory_total_bytes)) {
      s->memory_total_bytes = *limits.memory_max;
      auto current = read_u64(limits.memory_dir + "/memory.current");
      s->memory_used_bytes = std::min(current.value_or(s->memory_used_bytes), *limits.memory_max);
      limited = true;
    }

    if (limits.cpus && *limits.cpus < static_cast<double>(s->cpu_cores)) {
      s->cpu_cores = static_cast<uint32_t>(std::ceil(*limits.cpus));
      // Unreadable usage: the host's busy share is the next best guess.
      s->cpu_percent = cgroup_cpu_percent(limits.cpu_dir, *limits.cpus).value_or(s->cpu_percent);
      limited = true;
    } else {
      last_cgroup_cpu_.reset();
    }

    if (limits.pids_max) {
      if (auto current = read_u64(limits.pids_dir + "/pids.current")) {
        s->threads = clamp_u32(*current);
        limited = true;
      }
    }
    if (limited) s->source = "cgroup2";
  }

  // Usage relative to the quota: a container using its 1.5 CPUs is 100% busy.
  std::optional<double> cgroup_cpu_percent(const std::string& dir, double cpus) {
    std::string text;
    CgroupCpu now;
    now.dir = dir;
    double uptime = 0;
    if (!read_file(dir + "/cpu.stat", &text) || !parse_usage_usec(text, &now.usage_usec) ||
        !read_file(proc_ + "/uptime", &text) || !parse_uptime_seconds(text, &uptime)) {
      last_cgroup_cpu_.reset();
      return std::nullopt;
    }
    now.seconds = uptime;
    double percent = 0;
    if (last_cgroup_cpu_ && last_cgroup_cpu_->dir == dir &&
        now.seconds > last_cgroup_cpu_->seconds && now.usage_usec >= last_cgroup_cpu_->usage_usec) {
      double used = static_cast<double>(now.usage_usec - last_cgroup_cpu_->usage_usec) / 1e6;
      double available = (now.seconds - last_cgroup_cpu_->seconds) * cpus;
      percent = clamp_percent(100.0 * used / available);
    }
    last_cgroup_cpu_ = now;
    return percent;
  }

  std::string proc_, cgroup_root_;
  std::optional<CpuTimes> last_cpu_;
  std::optional<CgroupCpu> last_cgroup_cpu_;
};

class PortableSampler : public ResourceSampler {
 public:
  ResourceSample sample() override {
    ResourceSample s;
    s.source = "fallback";
    s.cpu_cores = portable_cores();
#if defined(__unix__) || defined(__APPLE__)
    double loads[3] = {0, 0, 0};
    if (getloadavg(loads, 3) == 3) {
      s.load1 = loads[0];
      s.load5 = loads[1];
      s.load15 = loads[2];
    }
#endif
    return s;
  }
};

#ifdef __APPLE__
class MacSampler : public ResourceSampler {
 public:
  ResourceSample sample() override {
    ResourceSample s;
    s.source = "macos";
    int ncpu = 0;
    size_t len = sizeof(ncpu);
    s.cpu_cores = sysctlbyname("hw.ncpu", &ncpu, &len, nullptr, 0) == 0 && ncpu > 0
                      ? static_cast<uint32_t>(ncpu)
                      : portable_cores();
    uint64_t memsize = 0;
    len = sizeof(memsize);
    if (sysctlbyname("hw.memsize", &memsize, &len, nullptr, 0) == 0) s.memory_total_bytes = memsize;

    mach_port_t host = mach_host_self();
    vm_statistics64_data_t vm{};
    mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
    vm_size_t page = 0;
    if (host_statistics64(host, HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&vm), &count) ==
            KERN_SUCCESS &&
        host_page_size(host, &page) == KERN_SUCCESS) {
      // What Activity Monitor calls used: app (active), wired and compressed.
      uint64_t pages = uint64_t{vm.active_count} + vm.wire_count + vm.compressor_page_count;
      s.memory_used_bytes = std::min<uint64_t>(pages * page, s.memory_total_bytes);
    }
    host_cpu_load_info_data_t cpu{};
    count = HOST_CPU_LOAD_INFO_COUNT;
    if (host_statistics(host, HOST_CPU_LOAD_INFO, reinterpret_cast<host_info_t>(&cpu), &count) ==
        KERN_SUCCESS) {
      CpuTimes now;
      for (int i = 0; i < CPU_STATE_MAX; ++i) now.total += cpu.cpu_ticks[i];
      now.idle = cpu.cpu_ticks[CPU_STATE_IDLE];
      if (last_cpu_ && now.total > last_cpu_->total && now.idle >= last_cpu_->idle) {
        double total = static_cast<double>(now.total - last_cpu_->total);
        double idle = static_cast<double>(now.idle - last_cpu_->idle);
        s.cpu_percent = clamp_percent(100.0 * (1.0 - idle / total));
      }
      last_cpu_ = now;
    }
    mach_port_deallocate(mach_task_self(), host);

    double loads[3] = {0, 0, 0};
    if (getloadavg(loads, 3) == 3) {
      s.load1 = loads[0];
      s.load5 = loads[1];
      s.load15 = loads[2];
    }
    int bytes = proc_listpids(PROC_ALL_PIDS, 0, nullptr, 0);
    if (bytes > 0) s.processes = static_cast<uint32_t>(bytes / sizeof(pid_t));
    return s;  // threads: macOS has no cheap system-wide count
  }

 private:
  std::optional<CpuTimes> last_cpu_;
};
#endif

}  // namespace

std::unique_ptr<ResourceSampler> ResourceSampler::for_this_host() {
#if defined(__linux__)
  std::error_code ec;
  if (fs::exists("/proc/stat", ec)) return linux_at("/proc", "/sys/fs/cgroup");
  return portable();  // procfs not mounted (a minimal chroot)
#elif defined(__APPLE__)
  return std::make_unique<MacSampler>();
#else
  return portable();
#endif
}

std::unique_ptr<ResourceSampler> ResourceSampler::linux_at(std::string proc_root,
                                                           std::string sys_fs_cgroup_root) {
  return std::make_unique<LinuxSampler>(std::move(proc_root), std::move(sys_fs_cgroup_root));
}

std::unique_ptr<ResourceSampler> ResourceSampler::portable() {
  return std::make_unique<PortableSampler>();
}

}  // namespace rad
