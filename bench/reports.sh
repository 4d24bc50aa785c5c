#!/usr/bin/env bash
# Report latency as history grows: for each size, a fresh database filled by `shopgap demo-data`
# (approved 40-item audits at 100 locations spread over the past year, written through the same
# domain code as the API, roll-ups included), then the gap report, a location scorecard and a
# trend measured by wrk (one client, keep-alive) against a release server.
#   bench/reports.sh                                                   # SQLite, temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/reports.sh  # the database is recreated
# Settings: SIZES="1000 10000 100000" (approved visits), DURATION=10s per measurement.
#   BENCH_CACHE=dir keeps each generated database (100,000 visits take half an hour to generate)
#   and reuses it while the generator (src/demo) is unchanged; the server migrates it on start as
#   it would an older database. The table reports the original generation time.
# Prints a table and writes bench/results/reports-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18184}
SIZES=${SIZES:-"1000 10000 100000"}
DURATION=${DURATION:-10s}
data=$(mktemp -d)
bin=$data/shopgap  # a copy: rebuilding during a run does not change what is measured
cp "${CARGO_TARGET_DIR:-target}/release/shopgap" "$bin"
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
export SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
backend=sqlite
[ -n "${DB:-}" ] && backend=postgresql
base="http://127.0.0.1:$PORT"
to=$(date -u +%F)
from=$(date -u -d '365 days ago' +%F)

measure() { # path → p50 p99 (ms) of one client, after one warm-up request
  curl -fs -o /dev/null -H "Authorization: Bearer $manager" "$base$1"
  wrk -t1 -c1 -d"$DURATION" --latency -H "Authorization: Bearer $manager" "$base$1" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print p50, p99}'
}
results=()
for size in $SIZES; do
  rm -rf "$data/db" && mkdir -p "$data/db"
  export SHOPGAP_DATA_DIR=$data/db
  if [ -n "${DB:-}" ]; then
    psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
    export SHOPGAP_DATABASE_URL=$DB
  fi
  cached=
  if [ -n "${BENCH_CACHE:-}" ]; then
    cached=$BENCH_CACHE/$backend-$size-$(git rev-parse --short=12 HEAD:src/demo)
    cached_db=shopgap_bench_cache_${size}_$(basename "$cached" | tail -c 13)
  fi
  if [ -n "$cached" ] && [ -f "$cached/generated" ]; then
    echo "== $backend: $size approved visits from $cached"
    if [ -n "${DB:-}" ]; then
      psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE ${DB##*/}" \
        -c "CREATE DATABASE ${DB##*/} TEMPLATE $cached_db"
    else
      cp -r "$cached/db/." "$data/db/"
    fi
    cp "$cached/out" "$data/out"
    generated=$(cat "$cached/generated")
  else
    echo "== $backend: generating $size approved visits"
    start=$(date +%s.%N)
    $bin demo-data --visits "$size" | tee "$data/out"
    generated=$(python3 -c "print($(date +%s.%N) - $start)")
    if [ -n "${DB:-}" ]; then
      # This machine's PostgreSQL runs with autovacuum off; do what it would have done by now.
      psql -X -q "$DB" -c "VACUUM ANALYZE"
    fi
    if [ -n "$cached" ]; then
      mkdir -p "$cached"
      if [ -n "${DB:-}" ]; then
        psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS $cached_db" \
          -c "CREATE DATABASE $cached_db TEMPLATE ${DB##*/}"
      else
        cp -r "$data/db" "$cached/db"
      fi
      cp "$data/out" "$cached/out"
      echo "$generated" >"$cached/generated"
    fi
  fi
  $bin serve >"$data/server.out" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
  password=$(awk '$2 == "manager@demo-motors.example.com" {print $3}' "$data/out")
  manager=$(curl -fs -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"manager@demo-motors.example.com\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  location=$(curl -fs -H "authorization: Bearer $manager" "$base/v1/locations?q=GEN-0001" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  approved=$(curl -fs -H "authorization: Bearer $manager" "$base/v1/reports/ranking" |
    python3 -c 'import json,sys; print(sum(r["n"] for r in json.load(sys.stdin)["rows"]))')
  gaps=$(measure "/v1/reports/gaps?from=$from&to=$to&group_by=standard,location")
  gaps_all=$(measure "/v1/reports/gaps")
  card=$(measure "/v1/reports/scorecard?location_id=$location&from=$from&to=$to")
  trend=$(measure "/v1/reports/trend?to=$to")
  kill $server; wait $server 2>/dev/null || true; server=
  results+=("$size $approved $generated $gaps $gaps_all $card $trend")
done

mkdir -p bench/results
python3 - "$backend" "${results[@]}" <<'PY' | tee "bench/results/reports-$backend.json"
import json, re, sys
def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)
backend, rows = sys.argv[1], []
print(f"# report latency, one client, {backend}", file=sys.stderr)
print(f"{'visits':>8} {'generated':>10} {'gaps yr×loc p50/p99':>22} {'gaps all p50/p99':>18} {'scorecard p50/p99':>19} {'trend p50/p99':>16}", file=sys.stderr)
for line in sys.argv[2:]:
    f = line.split()
    row = {"visits": int(f[0]), "approved": int(f[1]), "generate_s": round(float(f[2]), 1),
           "gaps_year_by_location_ms": [ms(f[3]), ms(f[4])], "gaps_all_time_ms": [ms(f[5]), ms(f[6])],
           "scorecard_ms": [ms(f[7]), ms(f[8])], "trend_ms": [ms(f[9]), ms(f[10])]}
    rows.append(row)
    p = lambda k: f"{row[k][0]}/{row[k][1]}"
    print(f"{row['approved']:>8} {row['generate_s']:>9}s {p('gaps_year_by_location_ms'):>22} {p('gaps_all_time_ms'):>18} {p('scorecard_ms'):>19} {p('trend_ms'):>16}", file=sys.stderr)
print(json.dumps({"benchmark": "reports", "backend": backend, "sizes": rows}, indent=1))
PY
