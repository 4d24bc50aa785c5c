#!/usr/bin/env bash
# The five gaps under load:
#  1. public survey response ingest (checked against the instrument, stored, roll-ups updated in
#     the same transaction) per second at rising concurrency, from wrk without credentials, next
#     to the database alone writing the same rows (bench/surveys_raw.py);
#  2. the five-gaps ladder (organization-wide and for one location) at growing numbers of
#     customer responses, filled by `shopgap demo-data --responses N`.
#   bench/surveys.sh                                                   # SQLite, temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/surveys.sh  # the database is recreated
# Settings: LEVELS="1 16 64" (connections), JOBS=12000 (responses prepared per level),
# DURATION=8s, SIZES="10000 100000" (responses), PARTS="ingest ladder".
# Writes bench/results/surveys-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18185}
LEVELS=${LEVELS:-"1 16 64"}
JOBS=${JOBS:-12000}
DURATION=${DURATION:-8s}
SIZES=${SIZES:-"10000 100000"}
PARTS=${PARTS:-"ingest ladder"}
data=$(mktemp -d)
bin=$data/shopgap
cp "${CARGO_TARGET_DIR:-target}/release/shopgap" "$bin"
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
# The benchmark is one client address: the public rate limit would measure itself.
export SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn SHOPGAP_PUBLIC_RATE_PER_MINUTE=100000000
base="http://127.0.0.1:$PORT"
backend=sqlite
[ -n "${DB:-}" ] && backend=postgresql

fresh_database() {
  rm -rf "$data/db" && mkdir -p "$data/db"
  export SHOPGAP_DATA_DIR=$data/db
  if [ -n "${DB:-}" ]; then
    psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
    export SHOPGAP_DATABASE_URL=$DB
    raw_target=$DB
  else
    raw_target=$data/db/shopgap.db
  fi
}
start_server() {
  "$bin" serve "$@" >"$data/out" 2>"$data/err" &
  server=$!
  for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
}
login() { # credentials file → manager token
  local password
  password=$(awk '$2 == "manager@demo-motors.example.com" {print $3}' "$1")
  curl -fs -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"manager@demo-motors.example.com\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# 1. Ingest.
results=()
raws=()
if [[ " $PARTS " == *" ingest "* ]]; then
fresh_database
start_server --demo --demo-history false
manager=$(login "$data/out")
levels=($LEVELS)
total=$((JOBS * ${#levels[@]}))
echo "== preparing $total public survey responses ($backend)"
python3 - "$base" "$manager" "$total" "$data/jobs.tsv" <<'PY'
import json, sys, urllib.request, uuid, random
base, token, total, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
instruments = call("GET", "/v1/survey-instruments")["items"]
customer = next(v for i in instruments for v in i["versions"] if v["audience"] == "customer")
version = call("GET", f"/v1/survey-instruments/{next(i['id'] for i in instruments if customer in i['versions'])}/versions/{customer['version']}")
location = call("POST", "/v1/locations", {"code": "BENCH-1", "name": "Bench", "region": "North",
    "segment": "b2c", "latitude": 52.5, "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]})
link = call("POST", "/v1/survey-links", {"instrument_version_id": version["id"], "location_id": location["id"], "channel": "in_person"})
rng = random.Random(7)
with open(out, "w") as f:
    for _ in range(total):
        body = {"response_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "language": rng.choice(version["languages"]),
                "ratings": [{"item": i["key"], "expectation": rng.randint(5, 7), "perception": rng.randint(2, 7)}
                            for i in version["items"]],
                "importance": {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 15, "empathy": 25},
                "preferred_channel": rng.choice(version["channel_question"]["channels"])}
        f.write(f"{link['public_path']}/responses\t{json.dumps(body, ensure_ascii=False)}\n")
PY
split -l "$JOBS" -d -a 2 "$data/jobs.tsv" "$data/jobs-"
i=0
for c in "${levels[@]}"; do
  threads=$(( c < 2 ? c : 2 ))
  line=$(wrk -t"$threads" -c"$c" -d"$DURATION" -s bench/respond.lua "$base" -- "$(printf '%s/jobs-%02d' "$data" "$i")" "$threads" | tail -1)
  echo "$line" | grep -q '"exhausted": false' || { echo "level $c ran out of responses: raise JOBS" >&2; exit 1; }
  echo "  $c connections: $line"
  results+=("$c $line")
  i=$((i + 1))
done
kill "$server"; wait "$server" 2>/dev/null || true; server=
echo "== the database alone, replaying the rows the API wrote"
for c in "${levels[@]}"; do
  raws+=("$(cd bench && python3 surveys_raw.py "$raw_target" "$c" "$data")")
  echo "  $c clients: ${raws[-1]}"
done
fi

# 2. The ladder as responses accumulate.
ladders=()
[[ " $PARTS " == *" ladder "* ]] || SIZES=""
for size in $SIZES; do
  fresh_database
  echo "== $backend: generating $size customer survey responses (and 1,000 visits)"
  "$bin" demo-data --visits 1000 --responses "$size" >"$data/gen"
  if [ -n "${DB:-}" ]; then psql -X -q "$DB" -c "VACUUM ANALYZE"; fi
  start_server
  manager=$(login "$data/gen")
  location=$(curl -fs -H "authorization: Bearer $manager" "$base/v1/locations?q=GEN-0001" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  row="$size"
  for path in "/v1/reports/five-gaps" "/v1/reports/five-gaps?location_id=$location&subject=dimension"; do
    curl -fs -o /dev/null -H "Authorization: Bearer $manager" "$base$path"
    row="$row $(wrk -t1 -c1 -d"$DURATION" --timeout 30s --latency -H "Authorization: Bearer $manager" "$base$path" |
      awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print p50 "," p99}')"
  done
  echo "  $row"
  ladders+=("$row")
  kill "$server"; wait "$server" 2>/dev/null || true; server=
done

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "${results[@]}" -- "${raws[@]}" -- "${ladders[@]}" <<'PY' | tee "bench/results/surveys-$backend.json"
import json, re, sys
backend, cpus = sys.argv[1], sys.argv[2]
rest = sys.argv[3:]
a = rest.index("--"); b = rest.index("--", a + 1)
api = [(int(r.split(" ", 1)[0]), json.loads(r.split(" ", 1)[1])) for r in rest[:a]]
raw = [json.loads(r) for r in rest[a + 1:b]]
def ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)
ladders = []
for line in rest[b + 1:]:
    size, org, loc = line.split(" ")
    (o50, o99), (l50, l99) = org.split(","), loc.split(",")
    ladders.append({"responses": int(size), "organization_p50_ms": ms(o50), "organization_p99_ms": ms(o99),
                    "location_by_dimension_p50_ms": ms(l50), "location_by_dimension_p99_ms": ms(l99)})
levels = []
print(f"# public survey responses, {backend}, {cpus} CPUs", file=sys.stderr)
print(f"{'conns':>5} {'API resp/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'raw resp/s':>10} {'API/raw':>8}", file=sys.stderr)
for (c, x), r in zip(api, raw):
    rate = x["accepted"] / x["seconds"]
    levels.append({"connections": c, "api_per_second": round(rate, 1), "p50_ms": x["p50_ms"], "p99_ms": x["p99_ms"],
                   "non_2xx": x["non_2xx"], "raw_per_second": r["per_second"], "api_over_raw": round(rate / r["per_second"], 3)})
    print(f"{c:>5} {rate:>10.1f} {x['p50_ms']:>8.2f} {x['p99_ms']:>8.2f} {x['non_2xx']:>6} {r['per_second']:>10.1f} {rate / r['per_second']:>8.2f}", file=sys.stderr)
print(f"# the five-gaps ladder (p50 / p99 ms)", file=sys.stderr)
for l in ladders:
    print(f"{l['responses']:>7} responses: organization {l['organization_p50_ms']} / {l['organization_p99_ms']}, one location by dimension {l['location_by_dimension_p50_ms']} / {l['location_by_dimension_p99_ms']}", file=sys.stderr)
print(json.dumps({"benchmark": "surveys", "backend": backend, "cpus": int(cpus), "ingest": levels, "ladder": ladders}, indent=1))
PY
