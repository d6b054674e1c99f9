// Cost of carrying protobuf messages inside CAF messages (runtime/proto_bridge.h)
// next to the baseline of protobuf's own serializer on the same message.
//
//   build/bin/rad-bench-bridge --benchmark_min_time=1
//
// Report the ratio of each BM_Caf* to its BM_Raw* twin: absolute times on a
// shared 2-core machine are noise.
#include <benchmark/benchmark.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>

#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"
#include "runtime/protocol.h"

namespace {

// A spawn batch as the coordinator sends it: `n` mock stories.
rad::v1::SpawnBatch spawn_batch(int n) {
  rad::v1::SpawnBatch batch;
  batch.set_node_id("0123456789ABCDEF0123456789ABCDEF01234567#4242");
  batch.set_incarnation(1795583827479);
  batch.set_batch_id(7);
  for (int i = 0; i < n; ++i) {
    auto* r = batch.add_requests();
    r->set_run_id("run-20261125-0001");
    r->set_attempt(1);
    r->mutable_story()->set_id("story-" + std::to_string(i));
    r->mutable_story()->mutable_mock()->set_duration_ms(0);
    r->mutable_trace()->set_traceparent("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01");
  }
  return batch;
}

struct Config : caf::actor_system_config {
  Config() { rad::register_protocol(*this); }
};

void BM_RawProtobufRoundTrip(benchmark::State& state) {
  auto batch = spawn_batch(static_cast<int>(state.range(0)));
  std::string bytes;
  for (auto _ : state) {
    bytes.clear();
    batch.SerializeToString(&bytes);
    rad::v1::SpawnBatch out;
    out.ParseFromString(bytes);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}

void BM_CafMessageRoundTrip(benchmark::State& state) {
  // Per run, not static: an actor system must not outlive main().
  Config cfg;
  caf::actor_system sys{cfg};
  auto msg = caf::make_message(rad::proto(spawn_batch(static_cast<int>(state.range(0)))));
  std::vector<char> buf;
  for (auto _ : state) {
    buf.clear();
    caf::binary_serializer sink{sys, buf};
    auto err = sink(msg);
    caf::message out;
    caf::binary_deserializer source{sys, buf};
    err = source(out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
}

BENCHMARK(BM_RawProtobufRoundTrip)->Arg(1)->Arg(100)->Arg(1000);
BENCHMARK(BM_CafMessageRoundTrip)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
