#!/usr/bin/env bash
# Two `liaison worker` processes share one PostgreSQL database (issue 4): they drain 100,096
# queued e-mail deliveries to local sink files, first both running to the end (no delivery may
# reach the sinks twice), then with one of them killed by SIGKILL mid-batch (none may be lost:
# its lease expires and the other takes its batch over; a delivery it had written to its sink
# but not yet recorded goes out again, which is what at-least-once with the delivery id as the
# idempotency key means). Needs a release build and the local PostgreSQL:
#   cargo build --release --bin liaison -p liaison-worker --example drain
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
pg="${LIAISON_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
name=liaison_kill_worker
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
url="$pg/$name"
export LIAISON_KEY="$("$bin/liaison" key generate)"
export LIAISON_LOG=warn
"$bin/liaison" --database-url "$url" demo --partners 50000
pending() { psql "$url" -tAc "SELECT COUNT(*) FROM deliveries WHERE next_at IS NOT NULL"; }

run() { # $1: label, $2: kill delay in seconds or "none"
  "$bin/examples/drain" "$url" --dispatch-only
  rm -f "$work"/a "$work"/b
  start=$(date +%s.%N)
  "$bin/liaison" --database-url "$url" worker --sink-file "$work/a" --worker-lease 5 >/dev/null &
  a=$!
  "$bin/liaison" --database-url "$url" worker --sink-file "$work/b" --worker-lease 5 >/dev/null &
  b=$!
  if [ "$2" != none ]; then
    sleep "$2"
    kill -9 "$a"
    wait "$a" 2>/dev/null || true
  fi
  while [ "$(pending)" != 0 ]; do sleep 0.05; done
  end=$(date +%s.%N)
  kill "$b" 2>/dev/null || true
  [ "$2" = none ] && kill "$a" 2>/dev/null || true
  wait 2>/dev/null || true
  python3 - "$work" "$1" "$start" "$end" "$(psql "$url" -tAc "SELECT COUNT(*) FROM deliveries WHERE channel = 'email'")" \
    "$(psql "$url" -tAc "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND state <> 'sent'")" \
    "$(psql "$url" -tAc "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND message_id = (SELECT id FROM messages ORDER BY id DESC LIMIT 1)")" <<'PY'
import os, sys
work, label, start, end, total, unsent, this = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
lines = {}
for w in ("a", "b"):
    p = os.path.join(work, w)
    lines[w] = [l.split(" ")[0] for l in open(p)] if os.path.exists(p) else []
# Each run dispatches a new message; the sinks hold this run's sends only.
ids = lines["a"] + lines["b"]
distinct = len(set(ids))
print(f"{label}: drained in {end - start:.2f} s; worker a sent {len(lines['a'])}, worker b {len(lines['b'])}; "
      f"distinct deliveries {distinct} of {this}, sent twice {len(ids) - distinct}; not 'sent' in the database: {unsent} of {total}")
twice_ok = "SIGKILL" in label or len(ids) == distinct
sys.exit(0 if unsent == 0 and distinct == this and twice_ok else 1)
PY
}
run "two workers" none
run "worker a SIGKILLed after 0.4 s" 0.4
