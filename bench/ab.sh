#!/usr/bin/env bash
# Two builds of the server, run in turn on the same machine: submission ingest rate and the
# server's CPU per submission (process CPU over 5 s of the run ÷ submissions accepted in the run).
# On this machine the rate of one build moves by half between hours; builds compared this way,
# interleaved, and by CPU per submission, which moves less, are what tell a change from the
# machine. Each run starts a fresh database with the demo organization and prepares its jobs.
#   bench/ab.sh OLD_BINARY NEW_BINARY                     # SQLite, 1 connection, 2 pairs
#   C=16 PAIRS=3 bench/ab.sh old new                      # 16 connections, 3 pairs
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_ab bench/ab.sh old new   # recreates that database
# Copy each build's target/release/shopgap aside first (cp target/release/shopgap /tmp/old).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
C=${C:-1}
PAIRS=${PAIRS:-2}
PORT=${PORT:-18191}
DURATION=${DURATION:-7}
# Enough for 1,100 submissions/s at one connection and 3,400/s beyond.
JOBS=${JOBS:-$([ "$C" -le 1 ] && echo 8000 || echo 24000)}
threads=$((C < 2 ? C : 2))
data=
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -n "$data" ] && rm -rf "$data"' EXIT

run() {
  local bin=$1 label=$2
  data=$(mktemp -d)
  export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
  if [ -n "${DB:-}" ]; then
    psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
    export SHOPGAP_DATABASE_URL=$DB
  fi
  "$bin" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  python3 bench/ingest_prep.py "http://127.0.0.1:$PORT" "$data/out" "$JOBS" "$data/jobs.tsv" >/dev/null
  wrk -t"$threads" -c"$C" -d"${DURATION}s" -s bench/submit.lua "http://127.0.0.1:$PORT" \
    -- "$data/jobs.tsv" "$threads" >"$data/wrk" &
  local load=$!
  sleep 1
  # utime + stime of the server, in clock ticks, over 5 s of the run.
  local before after
  before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  sleep 5
  after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  wait "$load"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  python3 - "$label" "$C" "$(tail -1 "$data/wrk")" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
label, conns, line, ticks, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
r = json.loads(line)
rate = r["accepted"] / r["seconds"]
cpu_us = ticks / hz / 5 / rate * 1e6
warn = "  RAN OUT OF JOBS: raise JOBS" if r["exhausted"] else ""
print(f"{label:<4} {conns:>3} conns  {rate:8.0f} sub/s  p99 {r['p99_ms']:6.2f} ms  "
      f"{cpu_us:6.0f} us CPU/sub  non-2xx {r['non_2xx']}{warn}")
PY
  rm -rf "$data"; data=
}

for _ in $(seq 1 "$PAIRS"); do
  run "$1" old
  run "$2" new
done
