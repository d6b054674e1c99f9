#!/usr/bin/env bash
# `make demo`: a local 3-node cluster, end to end. Starts a coordinator and two
# workers on loopback, submits examples/demo-plan.json and follows it wave by
# wave, shows the cluster and where each node answers, then stops the nodes
# cleanly (workers drain and leave).
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/rad-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -t 1 ]]; then
  say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  say() { printf '\n== %s\n' "$*"; }
fi

# start NAME ROLE CLUSTER_PORT HTTP_PORT METRICS_PORT [FLAGS...]: a node in the
# background, its log in $work/NAME.log; waits until it is ready.
start() {
  local name=$1 role=$2 cluster_port=$3 http_port=$4 metrics_port=$5
  shift 5
  (cd "$work" && RAD_USE_REAL_AGENTS=true exec "$bin/rad-node" --role "$role" \
    --node-name "$name" --cluster-port "$cluster_port" --http-port "$http_port" \
    --metrics-port "$metrics_port" \
    --data-dir "$name-data" --log-format text "$@" >"$work/$name.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 100); do
    grep -q "ready: node" "$work/$name.log" 2>/dev/null && return 0
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      cat "$work/$name.log" >&2
      echo "demo: $name did not start (see above)" >&2
      exit 1
    fi
    sleep 0.1
  done
  cat "$work/$name.log" >&2
  echo "demo: $name not ready after 10 s" >&2
  exit 1
}

say "A 3-node cluster on loopback: coordinator :7070 (API :3000), workers :7071 and :7072"
start coord coordinator 7070 3000 9090
start w1 worker 7071 3001 9091 --join 127.0.0.1:7070
start w2 worker 7072 3002 9092 --join 127.0.0.1:7070
for _ in $(seq 1 100); do
  grep -q "3 members (3 up)" "$work/coord.log" && break
  sleep 0.1
done
"$bin/radctl" nodes

say "radctl submit --wait: examples/demo-plan.json (3 waves, 50 stories, exec ones run for real)"
"$bin/radctl" validate "$root/examples/demo-plan.json"
run_id=$("$bin/radctl" submit "$root/examples/demo-plan.json" --wait)
"$bin/radctl" status "$run_id"

say "Where each node answers"
echo "coordinator: API and health on http://127.0.0.1:3000 (GET /v1/runs/$run_id, /v1/nodes, /health)"
echo "workers:     health on http://127.0.0.1:3001/health and http://127.0.0.1:3002/health"
echo "metrics:     Prometheus text on http://127.0.0.1:9090/metrics, :9091 and :9092"
echo "GET http://127.0.0.1:3001/health:"
curl -sS http://127.0.0.1:3001/health && echo
echo "GET http://127.0.0.1:9091/metrics (agent_*):"
curl -sS http://127.0.0.1:9091/metrics | grep -E '^(agent_tasks_total\{.*succeeded|active_agents)' | sed 's/^/  /'

say "SIGTERM: workers drain and leave, then the coordinator stops"
status=0
for i in 2 1 0; do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || status=$?
done
pids=()
grep -h "drained:" "$work"/w?.log | sed 's/^/  /'
grep -h -E "is now left|\] stopped" "$work/coord.log" | sed 's/^/  /'
echo "every node exited with ${status}"
[[ $status -eq 0 ]]

say "Done. Next: README.md (quickstart), docs/CONFIG.md (every setting), docs/METRICS.md, docs/BENCHMARKS.md"
