// Reading a submitted plan's JSON into its protobuf message: rad's SAX reader
// (runtime/json_proto_reader.h) next to protobuf's JsonStringToMessage, the
// baseline, on the same text in the same run.
//
//   build/bin/rad-bench-plan-read --benchmark_min_time=1
//
// Report the ratio of BM_Rad to BM_Protobuf at each size: absolute times on a
// shared 2-core machine are noise.
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>

#include <map>

#include "client/plan_shape.h"
#include "runtime/json_proto_reader.h"

namespace {

// What rad-bench-e2e submits: `n` zero-duration mock stories with dependencies.
const std::string& plan_text(int n) {
  static std::map<int, std::string> texts;
  auto& text = texts[n];
  if (text.empty()) {
    rad::PlanShape shape;
    shape.stories = n;
    (void)google::protobuf::util::MessageToJsonString(rad::make_plan(shape), &text);
  }
  return text;
}

void BM_Protobuf(benchmark::State& state) {
  const auto& text = plan_text(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    rad::v1::Plan plan;
    if (!google::protobuf::util::JsonStringToMessage(text, &plan).ok())
      state.SkipWithError("protobuf refused the plan");
    benchmark::DoNotOptimize(plan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_Rad(benchmark::State& state) {
  const auto& text = plan_text(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    rad::v1::Plan plan;
    if (!rad::read_json_into(text, plan).empty()) state.SkipWithError("rad refused the plan");
    benchmark::DoNotOptimize(plan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK(BM_Protobuf)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Rad)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
