#!/usr/bin/env python3
"""The benchmark suite's table: reads bench/results/{ingest,reports,load}-<backend>.json and
prints one Markdown table per benchmark, also written to bench/results/summary.md, and all the
figures in one file, bench/results/summary.json.

    bench/summary.py [sqlite] [postgresql]
"""
import datetime as dt
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
results = os.path.join(here, "results")
backends = sys.argv[1:] or ["sqlite", "postgresql"]
names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def load(kind, backend):
    with open(os.path.join(results, f"{kind}-{backend}.json")) as f:
        return json.load(f)


figures = {b: {k: load(k, b) for k in ("ingest", "reports", "load")} for b in backends}
pair = lambda p50, p99: f"{p50:.1f} / {p99:.1f}"
lines = []
out = lines.append

out("Submission ingest (40-item checklist validated, scored, flagged, stored with the assignment "
    "moved and its history; `raw` is the database alone writing the same rows in the same "
    "transaction shape and durability):")
out("")
out("| backend | connections | submissions/s | p50 / p99 ms | raw submissions/s | API / raw |")
out("|---|---|---|---|---|---|")
for b in backends:
    for level in figures[b]["ingest"]["levels"]:
        out(f"| {names[b]} | {level['connections']} | {level['api_per_second']:.0f} | "
            f"{pair(level['p50_ms'], level['p99_ms'])} | {level['raw_per_second']:.0f} | "
            f"{level['api_over_raw']:.2f} |")
out("")
out("Reports, p50 / p99 ms, one client; each size a fresh database filled by `shopgap demo-data` "
    "(100 locations, a year of approved 40-item visits):")
out("")
sizes = [s["visits"] for s in figures[backends[0]]["reports"]["sizes"]]
out("| report | " + " | ".join(f"{names[b]} {s:,}" for b in backends for s in sizes) + " |")
out("|---|" + "---|" * (len(sizes) * len(backends)))
for key, label in [("gaps_year_by_location_ms", "gap report, last 365 days, standard × location"),
                   ("gaps_all_time_ms", "gap report, all time, by standard"),
                   ("scorecard_ms", "scorecard of a location, last 365 days"),
                   ("trend_ms", "trend, 12 months")]:
    cells = [pair(*s[key]) for b in backends for s in figures[b]["reports"]["sizes"]]
    out(f"| {label} | " + " | ".join(cells) + " |")
cells = [f"{s['generate_s']:.0f} s" for b in backends for s in figures[b]["reports"]["sizes"]]
out("| generating the visits (`demo-data`) | " + " | ".join(cells) + " |")
out("")
out("Read paths under load and a login storm (100 shoppers' tokens in turn; 10,000 open jobs):")
out("")
out("| request | " + " | ".join(f"{names[b]} req/s | {names[b]} p50 / p99 ms" for b in backends) + " |")
out("|---|" + "---|---|" * len(backends))
labels = {"sync": "GET /v1/me/sync (full sync), 16 connections",
          "job_board": "GET /v1/job-board (nearest first), 16 connections",
          "login_alone": "POST /v1/auth/login, one client",
          "sync_8_quiet": "GET /v1/me/sync, 8 connections",
          "login_storm_8": "POST /v1/auth/login, 8 clients flat out",
          "sync_8_during_login_storm": "GET /v1/me/sync, 8 connections, during that storm"}
for key, label in labels.items():
    cells = []
    for b in backends:
        r = figures[b]["load"]["runs"][key]
        cells += [f"{r['per_second']:.0f}", pair(r["p50_ms"], r["p99_ms"])]
    out(f"| {label} | " + " | ".join(cells) + " |")

table = "\n".join(lines) + "\n"
print(table)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                        cwd=here).stdout.strip()
with open(os.path.join(results, "summary.md"), "w") as f:
    f.write(table)
with open(os.path.join(results, "summary.json"), "w") as f:
    json.dump({"commit": commit, "cpus": os.cpu_count(),
               "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "backends": figures}, f, indent=1)
    f.write("\n")
