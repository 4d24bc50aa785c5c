#!/usr/bin/env bash
# Planning and job-board figures against a release server, loaded by wrk:
#   - the time to create a wave of 1,000 assignments (100 locations x 10 shops), one request;
#   - GET /v1/job-board latency with 10,000 open assignments (100 locations x 100 more shops).
#   bench/assignments.sh                         # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/bench bench/assignments.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18182}
DURATION=${DURATION:-15s}
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
[ -n "${DB:-}" ] && export SHOPGAP_DATABASE_URL=$DB
"${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$PORT"
login() {
  local email=$1 password
  password=$(awk -v e="$email" '$2 == e {print $3}' "$data/out")
  curl -fs -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
manager=$(login manager@demo-motors.example.com)
shopper=$(login shopper1@demo-motors.example.com)
auth=(-H "authorization: Bearer $manager")

# 100 in-person locations around Berlin, by CSV.
python3 - >"$data/locations.csv" <<'PY'
print("code,name,region,segment,latitude,longitude,time_zone,channels")
for i in range(100):
    print(f"B{i:03},Branch {i},R{i % 5},b2c,{52.3 + (i % 10) * 0.05},{13.1 + (i // 10) * 0.06},Europe/Berlin,in_person;phone")
PY
curl -fs "${auth[@]}" -H 'content-type: text/csv' --data-binary @"$data/locations.csv" "$base/v1/locations/import" >/dev/null
location_ids=$(curl -fs "${auth[@]}" "$base/v1/locations?limit=200" | python3 -c 'import json,sys; print(json.dumps([l["id"] for l in json.load(sys.stdin)["items"]]))')
checklist=$(curl -fs "${auth[@]}" "$base/v1/checklists" | python3 -c '
import json,sys
for c in json.load(sys.stdin)["items"]:
    v = c["versions"][0]
    if v["channel"] == "in_person" and v["status"] == "published": print(v["id"]); break')
wave() {
  local per=$1
  python3 -c "import json,sys,datetime as d; now=d.datetime.now(d.timezone.utc); print(json.dumps({'checklist_version_id': sys.argv[1], 'location_ids': json.loads(sys.argv[2]), 'shops_per_location': int(sys.argv[3]), 'window_start': now.isoformat(), 'window_end': (now + d.timedelta(days=14)).isoformat(), 'fee_cents': 2500}))" "$checklist" "$location_ids" "$per" >"$data/wave.json"
  curl -fs -o "$data/wave.out" -w '%{time_total}' "${auth[@]}" -H 'content-type: application/json' --data-binary @"$data/wave.json" "$base/v1/waves"
}
echo "== POST /v1/waves: 1,000 assignments in one request"
for run in 1 2 3; do echo "run $run: $(wave 10) s ($(python3 -c 'import json; print(json.load(open("'"$data/wave.out"'"))["created"])') created)"; done
echo "== 10,000 more open assignments: $(wave 100) s"
echo "open assignments now: 13,000 (3 waves of 1,000 and one of 10,000)"
echo "== GET /v1/job-board (shopper, nearest first), one request at a time"
wrk -t1 -c1 -d"$DURATION" --latency -H "Authorization: Bearer $shopper" "$base/v1/job-board?latitude=52.52&longitude=13.40&limit=50"
echo "== GET /v1/job-board without a position (soonest-ending first), one request at a time"
wrk -t1 -c1 -d"$DURATION" --latency -H "Authorization: Bearer $shopper" "$base/v1/job-board?limit=50"
echo "== GET /v1/job-board (shopper, nearest first), 1 thread x 8 connections"
wrk -t1 -c8 -d"$DURATION" --latency -H "Authorization: Bearer $shopper" "$base/v1/job-board?latitude=52.52&longitude=13.40&limit=50"
