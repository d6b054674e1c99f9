#include "runtime/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/metrics.h"

namespace rad {
namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces).
std::vector<std::string> stat_fields() {
  std::ifstream in{"/proc/self/stat"};
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest{line.substr(close + 2)};
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

// Seconds since the epoch at which the system booted (btime of /proc/stat).
double boot_time() {
  std::ifstream in{"/proc/stat"};
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

size_t open_fds() {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::directory_iterator it{"/proc/self/fd", ec}, end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  auto f = stat_fields();
  // Field numbers of proc(5) less the first two: pid and comm.
  constexpr size_t kUtime = 11, kStime = 12, kThreads = 17, kStart = 19, kVsize = 20, kRss = 21;
  if (f.size() <= kRss) return out;
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  out.push_back(counter_family("process_cpu_seconds_total", "User and system CPU time spent",
                               (std::stod(f[kUtime]) + std::stod(f[kStime])) / ticks));
  out.push_back(gauge_family("process_resident_memory_bytes", "Resident memory size",
                             std::stod(f[kRss]) * page));
  out.push_back(
      gauge_family("process_virtual_memory_bytes", "Virtual memory size", std::stod(f[kVsize])));
  out.push_back(gauge_family("process_threads", "OS threads", std::stod(f[kThreads])));
  out.push_back(gauge_family("process_start_time_seconds", "Start time since the Unix epoch",
                             boot_time() + std::stod(f[kStart]) / ticks));
  out.push_back(gauge_family("process_open_fds", "Open file descriptors",
                             static_cast<double>(open_fds())));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
    out.push_back(gauge_family("process_max_fds", "Limit of open file descriptors",
                               static_cast<double>(limit.rlim_cur)));
  return out;
}

}  // namespace rad
