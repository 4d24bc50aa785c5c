#!/usr/bin/env bash
# The benchmark suite, one command: a release build, then on SQLite and on PostgreSQL
#   - submission ingest (SQLite 1, 4, 16 connections; PostgreSQL 1, 16, 64) next to the database
#     alone writing the same rows from in-process writers (bench/ingest.sh);
#   - gap report, scorecard and trend at 1,000, 10,000 and 100,000 visits (bench/reports.sh);
#   - the job board at 1,000, 10,000 and 100,000 open jobs, GET /v1/me next to an actix-web hello
#     world, GET /v1/me/sync under load, and a login storm (bench/load.sh);
# then the tables (bench/summary.py): the hot paths next to their references first. They are
# written into README.md (between its bench:begin and bench:end markers) and to
# bench/results/summary.json and .md.
#   bench/run.sh                  # both backends; about 40 minutes on a 2-core machine
#   BACKENDS=sqlite bench/run.sh  # one backend
#   SIZES="1000 10000" bench/run.sh   # smaller report sizes (passed on to bench/reports.sh)
#   PARTS="ingest load" bench/run.sh  # some parts; the tables take the others' last results
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/shopgap_bench); that database is
# dropped and created again. Needs wrk (Debian: apt-get install wrk), curl, psql and python3
# (psycopg 3 for PostgreSQL's reference, installed by bench/ingest.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/shopgap_bench}
BACKENDS=${BACKENDS:-"sqlite postgresql"}
PARTS=${PARTS:-"ingest reports load"}
cargo build --release --locked
started=$(date +%s)
for backend in $BACKENDS; do
  if [ "$backend" = postgresql ]; then db=$PG_URL; else db=; fi
  for part in $PARTS; do
    echo "=== $backend: bench/$part.sh ($(( ($(date +%s) - started) / 60 )) min so far)"
    DB=$db "bench/$part.sh"
  done
done
python3 bench/summary.py --readme $BACKENDS
echo "=== done in $(( ($(date +%s) - started) / 60 )) min"
