#!/usr/bin/env bash
# The soak (SPEC R8, issue 10; not part of CI): builds Liaison in release, starts it on SQLite
# with the demo data and its worker in a fresh folder, and holds a mixed load for MINUTES
# (inbox reads, search, confirmations, the request flow and robot posts to a local receiver) at
# half the measured capacity. Prints per minute the operations, 5xx, other failures, p99 and the
# server's RSS, then the verdict (0 errors, p99 drift <= 1.2x, RSS within +-10 % after
# warm-up). Usage:
#
#   bash scripts/soak.sh MINUTES [RATE]
#
# SOAK_FLOWS=N runs N request flows a second instead of 1 (the data grows N times faster);
# SOAK_KEEP=1 keeps the work folder (database, server.log); LIAISON_LOG sets the server's log.
set -euo pipefail
minutes=${1:?usage: scripts/soak.sh MINUTES [RATE]}
rate=${2:-}
cd "$(dirname "$0")/.."
cargo build --release -q --bin liaison -p liaison
cargo build --release -q -p liaison-web --example soak
target=${CARGO_TARGET_DIR:-target}
bin=$(cd "$target/release" && pwd)
port=${SOAK_PORT:-8097}
work=$(mktemp -d)
if [ -n "${SOAK_KEEP:-}" ]; then
  echo "work folder: $work"
  trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
else
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fi
cd "$work"
LIAISON_LOG=${LIAISON_LOG:-warn} "$bin/liaison" serve --demo --allow-local-targets --bind "127.0.0.1:$port" \
  > server.log 2>&1 &
server=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat server.log; exit 1; }
status=0
SOAK_DB="$work/liaison-data/liaison.db" "$bin/examples/soak" "http://127.0.0.1:$port" "$server" "$minutes" $rate ||
  status=$?
if grep -q " ERROR " server.log; then
  echo "server errors logged:"; grep " ERROR " server.log | head -20
fi
exit $status
