// One round of the end-to-end benchmarks: a plan of N zero-duration mock
// stories (one wave) submitted to a coordinator's API and followed until it is
// over, polling every 10 ms.
#pragma once

#include <string>

namespace rad::bench {

struct E2eRound {
  // Stories per second from the POST to the poll that saw the run over, and
  // on the coordinator alone (the run's started_at to finished_at); -1 when
  // the round failed (said on stderr).
  double client_rate = -1, server_rate = -1;
  std::string run_id;
};

E2eRound run_e2e_round(const std::string& api, int stories, int round);

// The same for any plan (JSON) of `stories` stories, each of which must succeed.
E2eRound run_plan_round(const std::string& api, const std::string& body, int stories);

class BenchCluster;

// The cost of a feature: `repeat` rounds on a cluster with it (`on`) and one
// without (`off`), alternating which goes first so that the machine's drift
// falls on both; prints each round and the medians as "WHAT on ... off ...".
// The ratio on/off, or -1 when a round failed (the cluster's output printed).
double compare_on_off(BenchCluster& on, BenchCluster& off, const char* what, int stories,
                      int repeat);

}  // namespace rad::bench
