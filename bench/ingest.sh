#!/usr/bin/env bash
# Submission ingest: final submissions of a 40-item checklist (validated, scored, flagged and
# stored, with the assignment moved and its history written) per second, from wrk at rising
# concurrency, next to the database alone writing the same rows (bench/ingest_raw.py).
#   bench/ingest.sh                                              # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/ingest.sh   # the database is recreated
# Settings: LEVELS (connections; "1 4 16" on SQLite, "1 16 64" on PostgreSQL), JOBS=20000
# (prepared submissions per level), DURATION=5s (per level), WRITERS (the raw replay's writer
# counts; "1 2 4 8 16" on SQLite, "1 4 16 64" on PostgreSQL). Prints a table and writes
# bench/results/ingest-<backend>.json (or RESULTS). The reference of each level is the best raw
# rate with at most as many writers as the level has connections. WEBHOOK_URL registers a
# webhook endpoint for every event there (after the preparation, so it receives what the
# measured submissions cause); RAW=0 skips the database alone. bench/webhooks.sh uses both.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18183}
JOBS=${JOBS:-20000}
DURATION=${DURATION:-5s}
data=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
export SHOPGAP_WEBHOOK_ALLOW_HTTP=true SHOPGAP_WEBHOOK_ALLOW_PRIVATE=true
if [ -n "${DB:-}" ]; then
  backend=postgresql
  admin_url="${DB%/*}/postgres"
  name="${DB##*/}"
  psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  export SHOPGAP_DATABASE_URL=$DB
  raw_target=$DB
  LEVELS=${LEVELS:-"1 16 64"}
  WRITERS=${WRITERS:-"1 4 16 64"}
  python3 -c 'import psycopg' 2>/dev/null || python3 -m pip install --quiet "psycopg[binary]==3.3.9"
else
  backend=sqlite
  raw_target=$data/shopgap.db
  LEVELS=${LEVELS:-"1 4 16"}
  WRITERS=${WRITERS:-"1 2 4 8 16"}
fi
"${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$PORT"

levels=($LEVELS)
total=$((JOBS * ${#levels[@]}))
echo "== preparing $total accepted assignments on a 40-item checklist ($backend)"
python3 bench/ingest_prep.py "$base" "$data/out" "$total" "$data/jobs.tsv"
split -l "$JOBS" -d -a 2 "$data/jobs.tsv" "$data/jobs-"
if [ -n "${WEBHOOK_URL:-}" ]; then
  python3 - "$base" "$data/out" "$WEBHOOK_URL" <<'PY'
import sys
sys.path.insert(0, "bench")
from benchlib import Api
api = Api(sys.argv[1], sys.argv[2])
api.call("POST", "/v1/webhooks", api.login("admin@demo-motors.example.com"), {"url": sys.argv[3]})
PY
fi

results=()
i=0
for c in "${levels[@]}"; do
  threads=$(( c < 2 ? c : 2 ))
  chunk=$(printf '%s/jobs-%02d' "$data" "$i")
  line=$(wrk -t"$threads" -c"$c" -d"$DURATION" -s bench/submit.lua "$base" -- "$chunk" "$threads" | tail -1)
  echo "$line" | grep -q '"exhausted": false' || { echo "level $c ran out of jobs: raise JOBS" >&2; exit 1; }
  results+=("$c $line")
  i=$((i + 1))
done
kill "$server"; wait "$server" 2>/dev/null || true; server=

echo "== the database alone, replaying the rows the API wrote (in-process writers: $WRITERS)"
raws=()
if [ "${RAW:-1}" = 1 ]; then
  python3 bench/ingest_raw.py "$raw_target" $WRITERS >"$data/raw.jsonl"
  mapfile -t raws <"$data/raw.jsonl"
fi

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "${results[@]}" -- "${raws[@]}" <<'PY' | tee "${RESULTS:-bench/results/ingest-$backend.json}"
import json, sys
backend, cpus = sys.argv[1], sys.argv[2]
rest = sys.argv[3:]
split = rest.index("--")
api = [(int(r.split(" ", 1)[0]), json.loads(r.split(" ", 1)[1])) for r in rest[:split]]
raw = [json.loads(r) for r in rest[split + 1:]]
rows = []
print(f"# submission ingest, 40-item checklist, {backend}, {cpus} CPUs", file=sys.stderr)
for r in raw:
    print(f"  raw, {r['writers']} writers: {r['per_second']:.1f} sub/s", file=sys.stderr)
print(f"{'conns':>5} {'API sub/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'raw sub/s':>10} {'writers':>7} {'API/raw':>8}", file=sys.stderr)
for c, a in api:
    rate = a["accepted"] / a["seconds"]
    # The reference: the database's best rate with at most as many writers as connections.
    best = max((r for r in raw if r["writers"] <= c), key=lambda r: r["per_second"], default=None)
    raw_rate = best["per_second"] if best else None
    rows.append({"connections": c, "api_per_second": round(rate, 1), "p50_ms": a["p50_ms"],
                 "p99_ms": a["p99_ms"], "non_2xx": a["non_2xx"], "accepted": a["accepted"],
                 "raw_per_second": raw_rate, "raw_writers": best["writers"] if best else None,
                 "raw_rows": best["rows"] if best else None,
                 "api_over_raw": round(rate / raw_rate, 3) if raw_rate else None})
    print(f"{c:>5} {rate:>10.1f} {a['p50_ms']:>8.2f} {a['p99_ms']:>8.2f} {a['non_2xx']:>6} {raw_rate or 0:>10.1f} {best['writers'] if best else 0:>7} {rate / raw_rate if raw_rate else 0:>8.2f}", file=sys.stderr)
print(json.dumps({"benchmark": "ingest", "backend": backend, "cpus": int(cpus), "levels": rows,
                  "raw": raw}, indent=1))
PY
