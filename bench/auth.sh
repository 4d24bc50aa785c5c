#!/usr/bin/env bash
# Login latency and GET /v1/me throughput against a release server, loaded by wrk.
#   bench/auth.sh                         # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/bench bench/auth.sh
# Needs wrk (Debian: apt-get install wrk). Prints wrk's latency distributions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
PORT=${PORT:-18181}
DURATION=${DURATION:-15s}
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
export SHOPGAP_DATA_DIR=$data SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn
[ -n "${DB:-}" ] && export SHOPGAP_DATABASE_URL=$DB
"${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$data/out" 2>"$data/err" &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
export EMAIL=manager@demo-motors.example.com
export PASSWORD=$(awk -v e="$EMAIL" '$2 == e {print $3}' "$data/out")
token=$(curl -fs -X POST "http://127.0.0.1:$PORT/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

echo "== POST /v1/auth/login, one client at a time (latency of a single login)"
wrk -t1 -c1 -d"$DURATION" --latency -s bench/login.lua "http://127.0.0.1:$PORT/v1/auth/login"
echo "== GET /v1/me, 2 threads x 32 connections"
wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/v1/me"
echo "== GET /v1/me while logins run flat out (8 login clients)"
wrk -t1 -c8 -d"$DURATION" -s bench/login.lua "http://127.0.0.1:$PORT/v1/auth/login" >"$data/storm" &
storm=$!
wrk -t1 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/v1/me"
wait $storm
echo "-- the login storm alongside:"; grep -E "Requests/sec|Latency" "$data/storm"
