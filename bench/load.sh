#!/usr/bin/env bash
# Read paths under load, and logins flat out, against a release server loaded by wrk:
#   - GET /v1/me/sync (a first, full sync: 10 held assignments and their checklist) and
#     GET /v1/job-board (nearest first, 10,000 open jobs at 100 locations), each by CONNS
#     connections cycling through 100 shoppers' tokens;
#   - POST /v1/auth/login alone (one client), then a login storm (8 clients flat out) while 8
#     more connections read /v1/me/sync: the logins' p50 and the other requests' p99, next to the
#     same 8 readers without the storm.
#   bench/load.sh                                                  # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/load.sh  # the database is recreated
# Settings: CONNS=16, DURATION=10s. Prints a table and writes bench/results/load-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18185}
CONNS=${CONNS:-16}
DURATION=${DURATION:-10s}
data=$(mktemp -d)
server=
storm=
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -n "$storm" ] && kill $storm 2>/dev/null; rm -rf "$data"' EXIT
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
echo "== $backend: preparing 100 shoppers holding 10 jobs each, 10,000 open jobs" >&2
python3 bench/load_prep.py "$base" "$data/out" "$data/tokens" 100 10 10000
if [ "$backend" = postgresql ]; then
  psql -X -q "$DB" -c "VACUUM ANALYZE"  # autovacuum is off on this machine; see bench/reports.sh
fi
export EMAIL=manager@demo-motors.example.com
export PASSWORD=$(awk -v e="$EMAIL" '$2 == e {print $3}' "$data/out")

reads() { # connections path → one JSON line
  wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d"$DURATION" -s bench/get.lua "$base" -- "$data/tokens" "$2" | tail -1
}
board="/v1/job-board?latitude=52.52&longitude=13.40&limit=50"
sync=$(reads "$CONNS" /v1/me/sync)
job_board=$(reads "$CONNS" "$board")
login_alone=$(wrk -t1 -c1 -d"$DURATION" -s bench/login.lua "$base/v1/auth/login" | tail -1)
sync_quiet=$(reads 8 /v1/me/sync)
wrk -t1 -c8 -d"$DURATION" -s bench/login.lua "$base/v1/auth/login" | tail -1 >"$data/storm" &
storm=$!
sync_storm=$(reads 8 /v1/me/sync)
wait $storm; storm=
login_storm=$(cat "$data/storm")

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "$CONNS" "$sync" "$job_board" "$login_alone" "$sync_quiet" "$sync_storm" "$login_storm" <<'PY' | tee "bench/results/load-$backend.json"
import json, sys
backend, cpus, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ["sync", "job_board", "login_alone", "sync_8_quiet", "sync_8_during_login_storm", "login_storm_8"]
runs = dict(zip(names, (json.loads(a) for a in sys.argv[4:])))
labels = {"sync": f"GET /v1/me/sync, {conns} conns", "job_board": f"GET /v1/job-board, {conns} conns",
          "login_alone": "POST /v1/auth/login, 1 client", "sync_8_quiet": "GET /v1/me/sync, 8 conns",
          "sync_8_during_login_storm": "GET /v1/me/sync, 8 conns, during login storm",
          "login_storm_8": "POST /v1/auth/login, 8 clients flat out"}
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
