#!/usr/bin/env bash
# `make bench`: every benchmark of load/, with the numbers docs/BENCHMARKS.md records.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$bin/rad-bench-bridge" --benchmark_min_time=1
"$bin/rad-bench-detection" --trials 10 --busy-seconds 10
"$bin/rad-bench-e2e" --stories 100000 --repeat 3
"$bin/rad-bench-checkpoint" --transitions 200000 --group 1000 --every 2000 --repeat 3 --compaction-stories 1000000
"$bin/rad-bench-resume" --stories 100000 --repeat 3
"$bin/rad-bench-e2e" --stories 1000000 --repeat 1
"$bin/rad-bench-agents" --agents 100000
"$bin/rad-bench-kill" --trials 10
"$bin/rad-bench-soak" --runs 20000 --restarts 200
