#include "client/span_tree.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_set>
#include <vector>

namespace rad {
namespace {

struct Tree {
  std::map<std::string, std::vector<const v1::Span*>> children;  // parent span id -> spans
  uint64_t origin = 0;
  size_t name_width = 0, node_width = 0;
};

std::string attributes_of(const v1::Span& s) {
  std::string out;
  for (const auto& a : s.attributes()) {
    if (a.key() == "run.id" && s.name() != "submit") continue;  // the same on every span
    out += "  " + a.key() + "=" +
           (a.value_case() == v1::SpanAttribute::kIntValue ? std::to_string(a.int_value())
                                                           : a.string_value());
  }
  return out;
}

void render(const Tree& tree, const v1::Span& s, size_t depth, std::string& out) {
  std::string name = std::string(2 * depth, ' ') + s.name();
  double offset = static_cast<double>(s.start_unix_nano() - tree.origin) / 1e6;
  double duration = s.end_unix_nano() > s.start_unix_nano()
                        ? static_cast<double>(s.end_unix_nano() - s.start_unix_nano()) / 1e6
                        : 0.0;
  char numbers[64];
  std::snprintf(numbers, sizeof numbers, "%+12.3f ms %10.3f ms", offset, duration);
  name.resize(std::max(name.size(), tree.name_width), ' ');
  auto node = s.node();
  node.resize(std::max(node.size(), tree.node_width), ' ');
  out += name + "  " + node + "  " + numbers + attributes_of(s) + "\n";
  auto it = tree.children.find(s.span_id());
  if (it == tree.children.end()) return;
  for (const auto* child : it->second) render(tree, *child, depth + 1, out);
}

size_t depth_of(const v1::Span& s, const std::map<std::string, const v1::Span*>& by_id) {
  size_t depth = 0;
  std::unordered_set<std::string> seen;  // a cycle of ids would not end otherwise
  for (auto it = by_id.find(s.parent_span_id()); it != by_id.end() && seen.insert(it->first).second;
       it = by_id.find(it->second->parent_span_id()))
    ++depth;
  return depth;
}

}  // namespace

std::string render_span_tree(const v1::SpanList& list) {
  std::map<std::string, const v1::Span*> by_id;
  for (const auto& s : list.spans()) by_id.emplace(s.span_id(), &s);
  Tree tree;
  tree.origin = UINT64_MAX;
  std::vector<const v1::Span*> roots;
  for (const auto& s : list.spans()) {
    tree.origin = std::min(tree.origin, s.start_unix_nano());
    tree.name_width = std::max(tree.name_width, 2 * depth_of(s, by_id) + s.name().size());
    tree.node_width = std::max(tree.node_width, s.node().size());
    if (by_id.count(s.parent_span_id()) && s.parent_span_id() != s.span_id())
      tree.children[s.parent_span_id()].push_back(&s);
    else
      roots.push_back(&s);
  }
  auto by_start = [](const v1::Span* a, const v1::Span* b) {
    return a->start_unix_nano() < b->start_unix_nano();
  };
  std::sort(roots.begin(), roots.end(), by_start);
  for (auto& [parent, spans] : tree.children) std::sort(spans.begin(), spans.end(), by_start);
  std::string out;
  for (const auto* root : roots) render(tree, *root, 0, out);
  return out;
}

}  // namespace rad
