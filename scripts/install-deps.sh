#!/usr/bin/env bash
# Installs everything rad needs to build and test, from Debian 12 packages only.
# Idempotent: silent and fast when everything is present. This is the one list of dependencies.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake make pkg-config clang-format
  # libraries rad links
  libcaf-dev libssl-dev
  libprotobuf-dev protobuf-compiler
  libspdlog-dev libfmt-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libcpp-httplib-dev
  librocksdb-dev libjemalloc-dev prometheus-cpp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # used by the integration tests to manage real processes and, as root,
  # network namespaces
  procps iproute2
  # make demo shows a node's health
  curl
  # the scrape tests run a real Prometheus server (2.42) against a cluster, and
  # promtool checks each node's /metrics text
  prometheus
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n "$0" "$@"
  fi
  echo "install-deps: missing ${missing[*]}; run 'sudo scripts/install-deps.sh' once, then retry" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: apt-get not found; rad installs its dependencies on Debian 12 only (missing: ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
log=$(mktemp /tmp/rad-install-deps.XXXXXX.log)
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "install-deps: apt-get failed (full log: $log); check the network and apt sources, then retry" >&2
  exit 1
fi
rm -f "$log"

# Debian starts the prometheus service it installs, on :9090: the default
# --metrics-port of a rad node. The tests run their own Prometheus; the
# system's one is stopped and left disabled (enable it yourself if you want it).
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1 &&
  systemctl is-enabled prometheus >/dev/null 2>&1; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
  echo "install-deps: stopped and disabled the system's prometheus service (it took :9090, rad's metrics port)" >&2
fi
