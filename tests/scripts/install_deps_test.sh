#!/usr/bin/env bash
# scripts/install-deps.sh: silent when everything is present; a clear message
# and exit 1, not an apt error, when something is missing and we are not root.
set -euo pipefail
script="$1/scripts/install-deps.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$script" 2>&1) || fail "exit $? with everything installed: $out"
[[ -z "$out" ]] || fail "printed something with everything installed: $out"

# A dpkg-query that reports every package missing, first on PATH.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\necho "unknown ok not-installed"\n' >"$fake/dpkg-query"
chmod 755 "$fake" "$fake/dpkg-query"
as_user=()
if [[ $(id -u) -eq 0 ]]; then as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
# A copy nobody can read, wherever the checkout lives.
mkdir "$fake/scripts"
cp "$script" "$fake/scripts/"
chmod -R a+rX "$fake"
status=0
out=$(cd "$fake" && env PATH="$fake:$PATH" "${as_user[@]}" scripts/install-deps.sh 2>&1) || status=$?
[[ $status -eq 1 ]] || fail "expected exit 1 when not root and packages are missing, got $status: $out"
[[ "$out" == *"install-deps: missing "*"libcaf-dev"*"run 'sudo scripts/install-deps.sh' once, then retry"* ]] ||
  fail "unclear message: $out"
[[ $(printf '%s\n' "$out" | wc -l) -eq 1 ]] || fail "more than one line: $out"
echo "1 passed, 0 failed"
