#!/usr/bin/env bash
# Evidence photo ingest: uploads per second of distinct phone-sized JPEGs (1600 × 1200, about
# 400 KB) into draft submissions, from THREADS concurrent clients, with the background photo
# analysis (perceptual hash, Exif capture time) switched on and then off; with it on, also how
# fast the worker hashes them (from the first upload to the last image analysed).
#   bench/photos.sh                                              # SQLite in a temporary directory
#   DB=postgres://postgres@127.0.0.1:5432/shopgap_bench bench/photos.sh   # the database is recreated
# Settings: PHOTOS=600 (uploads per run), THREADS=8. Writes bench/results/photos-<backend>.json.
# Needs python3 with Pillow (installed here with pip when missing) to draw the photos.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
python3 -c 'import PIL' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore Pillow
PORT=${PORT:-18184}
PHOTOS=${PHOTOS:-600}
THREADS=${THREADS:-8}
data=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
if [ -n "${DB:-}" ]; then backend=postgresql; else backend=sqlite; fi

echo "== drawing $PHOTOS photos"
python3 bench/photos.py draw "$data/photos" "$PHOTOS"

results=()
for hashing in true false; do
  run="$data/run-$hashing"
  mkdir -p "$run"
  export SHOPGAP_DATA_DIR=$run SHOPGAP_BIND=127.0.0.1:$PORT SHOPGAP_LOG=warn SHOPGAP_PHOTO_HASHING=$hashing
  if [ -n "${DB:-}" ]; then
    admin_url="${DB%/*}/postgres"
    name="${DB##*/}"
    psql -X -q "$admin_url" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    export SHOPGAP_DATABASE_URL=$DB
  fi
  "${CARGO_TARGET_DIR:-target}/release/shopgap" serve --demo --demo-history false >"$run/out" 2>"$run/err" &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  base="http://127.0.0.1:$PORT"
  echo "== hashing $hashing: preparing $PHOTOS draft submissions ($backend)"
  python3 bench/ingest_prep.py "$base" "$run/out" "$PHOTOS" "$run/jobs.tsv" 2>/dev/null
  results+=("$(python3 bench/photos.py upload "$base" "$run/out" "$run/jobs.tsv" "$data/photos" "$THREADS" "$hashing")")
  kill "$server"; wait "$server" 2>/dev/null || true; server=
done

mkdir -p bench/results
python3 - "$backend" "$(nproc)" "$PHOTOS" "$THREADS" "${results[@]}" <<'PY' | tee "${RESULTS:-bench/results/photos-$backend.json}"
import json, sys
backend, cpus, photos, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
on, off = (json.loads(r) for r in sys.argv[5:7])
print(json.dumps({"backend": backend, "cpus": cpus, "photos": photos, "threads": threads,
                  "hashing_on": on, "hashing_off": off,
                  "upload_rate_ratio": round(on["uploads_per_second"] / off["uploads_per_second"], 3)},
                 indent=2))
PY
