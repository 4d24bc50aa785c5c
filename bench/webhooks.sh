#!/usr/bin/env bash
# Webhooks: (1) delivery rate, events a second from the outbox to a local receiver
# (bench/webhooks_delivery.py: waves of assignments, one event each); (2) submission ingest
# (bench/ingest.sh) with a webhook endpoint receiving every event, against none.
#   bench/webhooks.sh                                                     # SQLite
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/webhooks.sh  # the database is recreated
# Settings: EVENTS=3000, LEVELS="16" (ingest connections), JOBS=8000, DURATION=5s.
# Writes bench/results/webhooks-<backend>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18191}
HOOK_PORT=${HOOK_PORT:-18192}
EVENTS=${EVENTS:-3000}
export LEVELS=${LEVELS:-16} JOBS=${JOBS:-8000} DURATION=${DURATION:-5s}
data=$(mktemp -d)
server=
receiver=
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -n "$receiver" ] && kill $receiver 2>/dev/null; rm -rf "$data"' EXIT
backend=sqlite
if [ -n "${DB:-}" ]; then
  backend=postgresql
  psql -X -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
  export SHOPGAP_DATABASE_URL=$DB
fi
python3 bench/webhook_receiver.py "$HOOK_PORT" &
receiver=$!

echo "== delivery rate ($backend): $EVENTS events to a local receiver"
SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn \
  SHOPGAP_WEBHOOK_ALLOW_HTTP=true SHOPGAP_WEBHOOK_ALLOW_PRIVATE=true \
  "${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
delivery=$(cd bench && python3 webhooks_delivery.py "http://127.0.0.1:$PORT" "$data/out" "$HOOK_PORT" "$EVENTS")
echo "$delivery"
kill "$server"; wait "$server" 2>/dev/null || true; server=

echo "== ingest without a webhook endpoint"
RAW=0 RESULTS="$data/off.json" bench/ingest.sh >/dev/null
echo "== ingest with an endpoint receiving every event"
RAW=0 RESULTS="$data/on.json" WEBHOOK_URL="http://127.0.0.1:$HOOK_PORT/ingest" bench/ingest.sh >/dev/null

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "$delivery" "$data/off.json" "$data/on.json" <<'PY' | tee "bench/results/webhooks-$backend.json"
import json, sys
backend, cpus, delivery = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
off, on = (json.load(open(p))["levels"] for p in sys.argv[4:6])
rows = []
print(f"# webhooks, {backend}, {cpus} CPUs: {delivery['events']} events delivered in "
      f"{delivery['seconds']} s = {delivery['per_second']}/s", file=sys.stderr)
print(f"{'conns':>5} {'off sub/s':>10} {'on sub/s':>10} {'on/off':>7} {'off p99':>8} {'on p99':>8}", file=sys.stderr)
for a, b in zip(off, on):
    ratio = b["api_per_second"] / a["api_per_second"]
    rows.append({"connections": a["connections"], "without_endpoint_per_second": a["api_per_second"],
                 "with_endpoint_per_second": b["api_per_second"], "with_over_without": round(ratio, 3),
                 "without_p99_ms": a["p99_ms"], "with_p99_ms": b["p99_ms"]})
    print(f"{a['connections']:>5} {a['api_per_second']:>10.1f} {b['api_per_second']:>10.1f} {ratio:>7.2f} "
          f"{a['p99_ms']:>8.2f} {b['p99_ms']:>8.2f}", file=sys.stderr)
print(json.dumps({"benchmark": "webhooks", "backend": backend, "cpus": cpus, "delivery": delivery,
                  "ingest": rows}, indent=1))
PY
