// A trace as people read it: spans indented under their parents, each with
// its node, its duration and its start relative to the first span, ordered by
// start. Spans whose parent is not in the list are roots.
//
//   submit               coord   +0.000 ms   3.210 ms  run.id=run-1
//     validate           coord   +0.010 ms   0.050 ms  problems=0
//     schedule           coord   +0.300 ms   1.100 ms  stories=2 traced=2
//       spawn            w1      +1.200 ms   0.020 ms  story.id=a attempt=1
#pragma once

#include <string>

#include "rad/v1/trace.pb.h"

namespace rad {

std::string render_span_tree(const v1::SpanList& spans);

}  // namespace rad
