#!/usr/bin/env bash
# `make demo`: the embedded default, end to end. Starts rad-node with no
# arguments (a complete single-node cluster), talks to it over the cluster
# link, checks the example plan, and stops it cleanly.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/rad-demo.XXXXXX)
node_pid=
cleanup() {
  [[ -n "$node_pid" ]] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -t 1 ]]; then
  say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  say() { printf '\n== %s\n' "$*"; }
fi

say "rad-node, no arguments: coordinator and worker in one process, data in $work/rad-data"
(cd "$work" && exec "$bin/rad-node" --log-format text >"$work/node.log" 2>&1) &
node_pid=$!
for _ in $(seq 1 100); do
  grep -q "ready: node" "$work/node.log" 2>/dev/null && break
  if ! kill -0 "$node_pid" 2>/dev/null; then
    cat "$work/node.log" >&2
    echo "demo: rad-node did not start (see above)" >&2
    exit 1
  fi
  sleep 0.1
done
grep -q "ready: node" "$work/node.log" || { cat "$work/node.log" >&2; echo "demo: rad-node not ready after 10 s" >&2; exit 1; }
cat "$work/node.log"

say "radctl ping: protobuf messages over CAF's middleman to the node's cluster port"
"$bin/radctl" ping 127.0.0.1:7070 --count 3

say "radctl validate: the example plan (JSON mapping of rad.v1.Plan)"
"$bin/radctl" validate "$root/examples/demo-plan.json"

say "SIGTERM: the node stops cleanly"
kill -TERM "$node_pid"
status=0
wait "$node_pid" || status=$?
node_pid=
tail -n 2 "$work/node.log"
echo "rad-node exited with $status"
[[ $status -eq 0 ]]

say "Done. Next: README.md (quickstart), docs/CONFIG.md (every setting)"
