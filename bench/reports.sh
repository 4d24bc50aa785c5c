#!/usr/bin/env bash
# Report latency as history grows: approved 40-item visits spread over the past year at 100
# locations, loaded through the API (accept, submit, approve: the roll-ups are written by the
# same code as in production), then the gap report and a scorecard measured by wrk (one client)
# at each size.
#   bench/reports.sh                                                   # SQLite, temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/reports.sh  # the database is recreated
# Settings: SIZES="1000 100000" (approved visits, cumulative), DURATION=10s per measurement.
# Prints a table and writes bench/results/reports-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18184}
SIZES=${SIZES:-"1000 100000"}
DURATION=${DURATION:-10s}
data=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
if [ -n "${DB:-}" ]; then
  backend=postgresql
  psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
  export SHOPGAP_DATABASE_URL=$DB
else
  backend=sqlite
fi
./target/release/shopgap serve --demo >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$PORT"

sizes=($SIZES)
total=${sizes[-1]}
echo "== preparing $total accepted assignments spread over 365 days ($backend)"
python3 bench/ingest_prep.py "$base" "$data/out" "$total" "$data/jobs.tsv" 365
password=$(awk '$2 == "manager@demo-motors.example.com" {print $3}' "$data/out")
manager=$(curl -fs -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"manager@demo-motors.example.com\",\"password\":\"$password\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
location=$(curl -fs -H "authorization: Bearer $manager" "$base/v1/locations?q=BN000" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
to=$(date -u +%F)
from=$(date -u -d '365 days ago' +%F)

load() { # lines from..to of a jobs file
  python3 bench/load_jobs.py "$base" "$1" "$2" "$3" 8
}
measure() { # path → p50 p99 (ms) of one client
  wrk -t1 -c1 -d"$DURATION" --latency -H "Authorization: Bearer $manager" "$base$1" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print p50, p99}'
}
results=()
done_so_far=0
for size in "${sizes[@]}"; do
  start=$((done_so_far + 1))
  echo "== loading visits $start..$size (submit, then approve)"
  load "$data/jobs.tsv" "$start" "$size"
  load "$data/jobs.tsv.approve" "$start" "$size"
  done_so_far=$size
  approved=$(curl -fs -H "authorization: Bearer $manager" "$base/v1/reports/ranking" |
    python3 -c 'import json,sys; print(sum(r["n"] for r in json.load(sys.stdin)["rows"]))')
  gaps=$(measure "/v1/reports/gaps?from=$from&to=$to&group_by=standard,location")
  gaps_all=$(measure "/v1/reports/gaps")
  card=$(measure "/v1/reports/scorecard?location_id=$location&from=$from&to=$to")
  trend=$(measure "/v1/reports/trend?to=$to")
  results+=("$size $approved $gaps $gaps_all $card $trend")
done

mkdir -p bench/results
python3 - "$backend" "${results[@]}" <<'PY' | tee "bench/results/reports-$backend.json"
import json, re, sys
def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)
backend, rows = sys.argv[1], []
print(f"# report latency, one client, {backend}", file=sys.stderr)
print(f"{'visits':>8} {'gaps yr×loc p50/p99':>22} {'gaps all p50/p99':>18} {'scorecard p50/p99':>19} {'trend p50/p99':>16}", file=sys.stderr)
for line in sys.argv[2:]:
    f = line.split()
    row = {"visits": int(f[0]), "approved": int(f[1]),
           "gaps_year_by_location_ms": [ms(f[2]), ms(f[3])], "gaps_all_time_ms": [ms(f[4]), ms(f[5])],
           "scorecard_ms": [ms(f[6]), ms(f[7])], "trend_ms": [ms(f[8]), ms(f[9])]}
    rows.append(row)
    p = lambda k: f"{row[k][0]}/{row[k][1]}"
    print(f"{row['approved']:>8} {p('gaps_year_by_location_ms'):>22} {p('gaps_all_time_ms'):>18} {p('scorecard_ms'):>19} {p('trend_ms'):>16}", file=sys.stderr)
print(json.dumps({"benchmark": "reports", "backend": backend, "sizes": rows}, indent=1))
PY
