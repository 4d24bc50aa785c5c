#!/usr/bin/env bash
# Read paths under load, and logins flat out, against a release server loaded by wrk:
#   - GET /v1/job-board (nearest first) by CONNS connections cycling through 100 shoppers'
#     tokens, with 1,000, then 10,000, then 100,000 open jobs at 100 locations (the same
#     database, grown between measurements): the board's cost should not grow with the jobs;
#   - GET /v1/me/sync (a first, full sync: 10 held assignments and their checklist), at 10,000;
#   - GET /v1/me (authenticated read of the caller) next to an actix-web hello world
#     (src/bin/bench_hello.rs, same build, same workers) measured the same way in the same run;
#   - POST /v1/auth/login alone (one client), then a login storm (8 clients flat out) while 8
#     more connections read /v1/me/sync: the logins' p50 and the other requests' p99, next to the
#     same 8 readers without the storm.
#   bench/load.sh                                                  # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/load.sh  # the database is recreated
# Settings: CONNS=16, DURATION=10s. Prints a table and writes bench/results/load-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet  # shopgap and bench_hello (src/bin/bench_hello.rs)
PORT=${PORT:-18185}
HELLO_PORT=${HELLO_PORT:-18186}
CONNS=${CONNS:-16}
DURATION=${DURATION:-10s}
data=$(mktemp -d)
server=
storm=
hello=
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -n "$storm" ] && kill $storm 2>/dev/null; [ -n "$hello" ] && kill $hello 2>/dev/null; rm -rf "$data"' EXIT
export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
backend=sqlite
if [ -n "${DB:-}" ]; then
  backend=postgresql
  psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
  export SHOPGAP_DATABASE_URL=$DB
fi
"${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$PORT"
analyze() { # this machine's PostgreSQL has autovacuum off; see bench/reports.sh
  if [ "$backend" = postgresql ]; then psql -X -q "$DB" -c "VACUUM ANALYZE"; fi
}
echo "== $backend: preparing 100 shoppers holding 10 jobs each, 1,000 open jobs" >&2
python3 bench/load_prep.py "$base" "$data/out" "$data/tokens" 100 10 1000
analyze
export EMAIL=manager@demo-motors.example.com
export PASSWORD=$(awk -v e="$EMAIL" '$2 == e {print $3}' "$data/out")

reads() { # connections path [base] → one JSON line
  # Two unmeasured seconds first: the pool opens its connections on demand, and on PostgreSQL
  # each is a new server process, whose start-up otherwise lands in the first run's tail (p99
  # 28 ms at 1,000 open jobs against 18-20 ms after, in one run).
  wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d2s -s bench/get.lua "${3:-$base}" -- "$data/tokens" "$2" >/dev/null
  wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d"$DURATION" -s bench/get.lua "${3:-$base}" -- "$data/tokens" "$2" | tail -1
}
board="/v1/job-board?latitude=52.52&longitude=13.40&limit=50"
job_board_1000=$(reads "$CONNS" "$board")
echo "== $backend: 10,000 open jobs" >&2
python3 bench/open_jobs.py "$base" "$data/out" 9000
analyze
job_board=$(reads "$CONNS" "$board")
sync=$(reads "$CONNS" /v1/me/sync)
me=$(reads "$CONNS" /v1/me)
login_alone=$(wrk -t1 -c1 -d"$DURATION" -s bench/login.lua "$base/v1/auth/login" | tail -1)
sync_quiet=$(reads 8 /v1/me/sync)
wrk -t1 -c8 -d"$DURATION" -s bench/login.lua "$base/v1/auth/login" | tail -1 >"$data/storm" &
storm=$!
sync_storm=$(reads 8 /v1/me/sync)
wait $storm; storm=
login_storm=$(cat "$data/storm")
echo "== $backend: 100,000 open jobs" >&2
python3 bench/open_jobs.py "$base" "$data/out" 90000
analyze
job_board_100000=$(reads "$CONNS" "$board")
kill "$server"; wait "$server" 2>/dev/null || true; server=

echo "== the reference: an actix-web hello world (src/bin/bench_hello.rs)" >&2
SHOPGAP_BIND=127.0.0.1:$HELLO_PORT "${CARGO_TARGET_DIR:-target}/release/bench_hello" &
hello=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HELLO_PORT/hello" >/dev/null && break; sleep 0.1; done
hello_world=$(reads "$CONNS" /hello "http://127.0.0.1:$HELLO_PORT")
kill "$hello"; wait "$hello" 2>/dev/null || true; hello=

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "$CONNS" "$sync" "$job_board" "$login_alone" "$sync_quiet" "$sync_storm" "$login_storm" "$job_board_1000" "$job_board_100000" "$me" "$hello_world" <<'PY' | tee "bench/results/load-$backend.json"
import json, sys
backend, cpus, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ["sync", "job_board", "login_alone", "sync_8_quiet", "sync_8_during_login_storm", "login_storm_8",
         "job_board_1000", "job_board_100000", "me", "hello_world"]
runs = dict(zip(names, (json.loads(a) for a in sys.argv[4:])))
labels = {"sync": f"GET /v1/me/sync, {conns} conns", "job_board": f"GET /v1/job-board, 10,000 open, {conns} conns",
          "login_alone": "POST /v1/auth/login, 1 client", "sync_8_quiet": "GET /v1/me/sync, 8 conns",
          "sync_8_during_login_storm": "GET /v1/me/sync, 8 conns, during login storm",
          "login_storm_8": "POST /v1/auth/login, 8 clients flat out",
          "job_board_1000": f"GET /v1/job-board, 1,000 open, {conns} conns",
          "job_board_100000": f"GET /v1/job-board, 100,000 open, {conns} conns",
          "me": f"GET /v1/me, {conns} conns", "hello_world": f"actix-web hello world, {conns} conns"}
print(f"# read paths and logins under load, {backend}, {cpus} CPUs", file=sys.stderr)
print(f"{'':<48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}", file=sys.stderr)
for name in names:
    r = runs[name]
    print(f"{labels[name]:<48} {r['per_second']:>8.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non_2xx'] + r['socket_errors']:>8}", file=sys.stderr)
bad = [n for n, r in runs.items() if r["non_2xx"] or r["socket_errors"]]
print(json.dumps({"benchmark": "load", "backend": backend, "cpus": cpus, "runs": runs}, indent=1))
if bad:
    sys.exit(f"errors in: {', '.join(bad)}")
PY
