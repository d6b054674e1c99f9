// A private network for integration tests, made of Linux network namespaces:
// one namespace per node, each with a veth link to a bridge in a hub
// namespace of its own, so nothing touches the host's network. A node is cut
// off by taking its link down, and healed by bringing it up. Needs root.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rad::test {

class NetnsLab {
 public:
  // Why namespaces cannot be used here (not root, no `ip`, no permission),
  // or nullopt when they can.
  static std::optional<std::string> unavailable();

  // Creates the hub; nullptr (and `error` set) when that fails.
  static std::unique_ptr<NetnsLab> create(std::string* error);
  ~NetnsLab();  // deletes every namespace it made

  // Adds a node's namespace and link; returns its address, or "" on failure.
  std::string add_node(const std::string& name);

  // The command prefix that runs a program inside the node's namespace.
  std::vector<std::string> exec_in(const std::string& name) const;

  bool cut(const std::string& name);   // link down: the node hears nothing
  bool heal(const std::string& name);  // link up again

 private:
  NetnsLab() = default;
  std::string hub() const { return prefix_ + "-hub"; }
  std::string ns_of(const std::string& name) const { return prefix_ + "-" + name; }
  bool set_link(const std::string& name, const char* state);

  std::string prefix_;
  std::map<std::string, int> index_;  // node name -> host number and veth index
  std::vector<std::string> namespaces_;
};

}  // namespace rad::test
