#!/usr/bin/env bash
# Runs the figures of BENCHMARKS.md that a refactoring must keep (demo load, dispatch 200k,
# inbox under wrk, confirmations under wrk, drain 100k) for one release build, on SQLite, in a
# fresh folder, and prints one line per figure. Usage:
#
#   bash scripts/bench-compare.sh TARGET_RELEASE_DIR [LABEL]
#
# TARGET_RELEASE_DIR holds `liaison` and `examples/{dispatch,ack_setup,drain}` (build them with
# `cargo build --release --bins --examples`). Run two builds back to back, twice each: this
# machine is noisy. Needs wrk (scripts/install-deps).
set -euo pipefail
bin_dir=$(cd "$1" && pwd)
label=${2:-$bin_dir}
here=$(cd "$(dirname "$0")" && pwd)
port=${BENCH_PORT:-8098}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
export LIAISON_LOG=warn
url="sqlite://$work/liaison-data/liaison.db"
# Builds that write a demo history are asked not to, so both builds load the same data.
nohist=""
"$bin_dir/liaison" demo --help | grep -q -- --no-history && nohist="--no-history"

t0=$(date +%s.%N)
"$bin_dir/liaison" demo --partners 100000 $nohist >/dev/null
t1=$(date +%s.%N)
echo "$label demo-100k-s $(echo "$t1 - $t0" | bc)"

echo "$label dispatch $("$bin_dir/examples/dispatch" "$url" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p') s"

"$bin_dir/liaison" serve --demo $nohist --no-worker --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
p1=$(curl -s -H 'content-type: application/json' -d '{"email":"p1@demo.example","password":"liaison-demo"}' \
  "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $p1" "http://127.0.0.1:$port/api/v1/inbox" > inbox.txt
echo "$label inbox $(awk '/Requests\/sec/ {print $2}' inbox.txt) req/s p99 $(awk '$1=="99%" {print $2}' inbox.txt)"
kill $server; wait $server 2>/dev/null || true

"$bin_dir/examples/ack_setup" "$url" 40000 >/dev/null
"$bin_dir/liaison" serve --demo $nohist --no-worker --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c64 -d3s --latency -s "$here/bench-ack.lua" "http://127.0.0.1:$port" > ack.txt
echo "$label acks $(awk '/Requests\/sec/ {print $2}' ack.txt) /s p99 $(awk '$1=="99%" {print $2}' ack.txt)"
kill $server; wait $server 2>/dev/null || true

rm -rf liaison-data
"$bin_dir/liaison" demo --partners 50000 $nohist >/dev/null
echo "$label drain $("$bin_dir/examples/drain" "$url" | tail -n 1)"
