#!/usr/bin/env bash
# Shows that a dispatch is all or nothing (issue 3): a 200,000-delivery dispatch is killed with
# SIGKILL at several moments; after each kill the database must hold, for every message,
# either all of its deliveries or none of it. Needs a release build:
#   cargo build --release -p liaison --bin liaison -p liaison-app --example dispatch
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$root/target/release/liaison" demo --partners 100000 >/dev/null
db="sqlite://$work/liaison-data/liaison.db"
for delay in 0.3 0.4 0.45 0.5 0.55 0.6 0.7 2.5; do
  "$root/target/release/examples/dispatch" "$db" >out.txt 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null && killed=yes || killed="no (it had finished)"
  wait "$pid" 2>/dev/null || true
  python3 - "$work/liaison-data/liaison.db" "$delay" "$killed" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
per_message = c.execute("""SELECT m.id, (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id)
                             FROM messages m""").fetchall()
contacts = c.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
orphans = c.execute("SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)").fetchone()[0]
partial = [n for _, n in per_message if n != contacts]
print(f"kill after {sys.argv[2]} s, killed: {sys.argv[3]}: {len(per_message)} messages, each with "
      f"{sorted(set(n for _, n in per_message))} deliveries ({contacts} contacts); partial: {len(partial)}; orphans: {orphans}")
sys.exit(1 if partial or orphans else 0)
PY
done
echo "all or nothing: OK"
