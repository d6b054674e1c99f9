#include "chaos/netns_lab.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "harness/process.h"

namespace rad {

using namespace std::chrono_literals;

namespace {

constexpr const char* kSubnet = "10.213.0.";

// iproute2's `ip`, or "" when missing.
const std::string& ip_path() {
  static const std::string path = [] {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
      if (::access(p, X_OK) == 0) return std::string{p};
    return std::string{};
  }();
  return path;
}

// Runs `ip ARGS...`; the error text when it fails.
std::optional<std::string> ip(std::vector<std::string> args) {
  args.insert(args.begin(), ip_path());
  auto r = run({args}, 10s);
  if (r.exit_code == 0) return std::nullopt;
  std::string command;
  for (const auto& a : args) command += a + " ";
  return command + "failed: " + r.err;
}

}  // namespace

std::optional<std::string> NetnsLab::unavailable() {
  if (::geteuid() != 0) return "not root: network namespaces need root";
  if (ip_path().empty()) return "no `ip` command: install iproute2 (scripts/install-deps.sh does)";
  std::string error;
  if (!create(&error)) return error;
  return std::nullopt;
}

std::unique_ptr<NetnsLab> NetnsLab::create(std::string* error) {
  static std::atomic<int> labs{0};
  std::unique_ptr<NetnsLab> lab{new NetnsLab};
  lab->prefix_ = "rad" + std::to_string(::getpid()) + "x" + std::to_string(labs++);
  for (auto step : std::vector<std::vector<std::string>>{
           {"netns", "add", lab->hub()},
           {"-n", lab->hub(), "link", "add", "br0", "type", "bridge"},
           {"-n", lab->hub(), "link", "set", "br0", "up"}}) {
    if (auto failed = ip(step)) {
      *error = *failed;
      return nullptr;
    }
    if (step[0] == "netns") lab->namespaces_.push_back(lab->hub());
  }
  return lab;
}

NetnsLab::~NetnsLab() {
  for (const auto& ns : namespaces_) ip({"netns", "del", ns});
}

std::string NetnsLab::add_node(const std::string& name) {
  int index = static_cast<int>(index_.size()) + 1;
  index_[name] = index;
  auto ns = ns_of(name);
  auto hub_end = "vh" + std::to_string(index);
  auto address = kSubnet + std::to_string(index);
  if (ip({"netns", "add", ns})) return "";
  namespaces_.push_back(ns);
  for (auto step : std::vector<std::vector<std::string>>{
           {"-n", hub(), "link", "add", hub_end, "type", "veth", "peer", "name", "eth0", "netns",
            ns},
           {"-n", hub(), "link", "set", hub_end, "master", "br0", "up"},
           {"-n", ns, "addr", "add", address + "/24", "dev", "eth0"},
           {"-n", ns, "link", "set", "eth0", "up"},
           {"-n", ns, "link", "set", "lo", "up"}})
    if (ip(step)) return "";
  return address;
}

std::vector<std::string> NetnsLab::exec_in(const std::string& name) const {
  return {ip_path(), "netns", "exec", ns_of(name)};
}

bool NetnsLab::set_link(const std::string& name, const char* state) {
  auto it = index_.find(name);
  return it != index_.end() &&
         !ip({"-n", hub(), "link", "set", "vh" + std::to_string(it->second), state});
}

bool NetnsLab::cut(const std::string& name) { return set_link(name, "down"); }

bool NetnsLab::join_hub(std::string* error) {
  // The bridge's own address: the last of the subnet, never a node's.
  for (auto step : std::vector<std::vector<std::string>>{
           {"-n", hub(), "addr", "add", std::string{kSubnet} + "254/24", "dev", "br0"},
           {"-n", hub(), "link", "set", "lo", "up"}})
    if (auto failed = ip(step)) {
      *error = *failed;
      return false;
    }
  auto path = "/var/run/netns/" + hub();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    *error = "cannot enter network namespace " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}
bool NetnsLab::heal(const std::string& name) { return set_link(name, "up"); }

}  // namespace rad
