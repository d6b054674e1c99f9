// A private network made of Linux network namespaces, for the integration
// tests and for `radctl chaos run` as root: one namespace per node, each with
// a veth link to a bridge in a hub namespace of its own, so nothing touches
// the host's network. A node is cut off by taking its link down, and healed
// by bringing it up. Needs root.
//
//   auto lab = NetnsLab::create(&error);
//   auto address = lab->add_node("w1");     // 10.213.0.1
//   lab->exec_in("w1") + argv               // runs argv inside w1's namespace
//   lab->join_hub(&error);                  // this thread (and the threads it
//                                           // starts) now reach every node
//   lab->cut("w1"); lab->heal("w1");
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rad {

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

  // Moves the calling thread into the hub's namespace, with an address of its
  // own on the bridge: from then on it reaches every node's address, and
  // threads it starts inherit that. False (and `error` set) on failure.
  bool join_hub(std::string* error);

 private:
  NetnsLab() = default;
  std::string hub() const { return prefix_ + "-hub"; }
  std::string ns_of(const std::string& name) const { return prefix_ + "-" + name; }
  bool set_link(const std::string& name, const char* state);

  std::string prefix_;
  std::map<std::string, int> index_;  // node name -> host number and veth index
  std::vector<std::string> namespaces_;
};

}  // namespace rad
