#!/usr/bin/env python3
"""The database alone writing what the API wrote for the customer survey responses just
benchmarked: each response's row and its roll-up upserts, one transaction per response.

Reads the stored customer responses and the survey roll-ups, puts the database back as it was
(no customer responses, no customer roll-ups), then replays the same rows as literal SQL from
CLIENTS parallel command-line clients (sqlite3 / psql, with the server's durability settings).
The roll-up deltas are recomputed per response by the rules of src/surveys/responses.rs; the
script fails unless the replayed roll-ups equal the API's exactly. Prints one JSON line.

    bench/surveys_raw.py DATABASE CLIENTS WORKDIR     # DATABASE: SQLite file or postgres:// URL
"""
import datetime
import json
import math
import os
import subprocess
import sys
import time

database, clients, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
postgres = database.startswith(("postgres://", "postgresql://"))
UNITS = 1_000_000


def query_json(sql):
    """Rows of a SELECT as dicts, through the backend's own command-line client."""
    if postgres:
        out = subprocess.run(["psql", "-X", "-At", database, "-c",
                              f"SELECT coalesce(json_agg(t), '[]') FROM ({sql}) t"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    out = subprocess.run(["sqlite3", "-json", database, sql], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out) if out.strip() else []


def execute(sql):
    if postgres:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", database], input=sql,
                       text=True, check=True)
    else:
        subprocess.run(["sqlite3", database], input=f"BEGIN;\n{sql}\nCOMMIT;\n", text=True,
                       check=True)


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert(table, row):
    values = ", ".join(literal(v) for v in row.values())
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({values});"


def units(level):
    """Rust's f64::round: half away from zero."""
    return int(math.copysign(math.floor(abs(level * UNITS) + 0.5), level))


def contributions(content, book, answers):
    lo, hi = content["scale"]["min"], content["scale"]["max"]
    dims = {s["code"]: s["dimension"] for s in book["standards"]}
    items = {i["key"]: i for i in content["items"]}
    subjects, dimensions = {}, {}
    for r in answers["ratings"]:
        item = items.get(r["item"])
        if item is None:
            continue
        e = None if r.get("expectation") is None else (r["expectation"] - lo) / (hi - lo)
        p = None if r.get("perception") is None else (r["perception"] - lo) / (hi - lo)

        def add(levels):
            if e is not None:
                levels[0].append(e)
            if p is not None:
                levels[1].append(p)
            if e is not None and p is not None:
                levels[2].append(e - p)
        if item.get("standard"):
            add(subjects.setdefault(f"standard:{item['standard']}", ([], [], [])))
        d = dims.get(item.get("standard")) or item.get("dimension")
        if d:
            add(dimensions.setdefault(d, ([], [], [])))
    mean = lambda v: sum(v) / len(v) if v else None
    order = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    weighted = None
    for d in sorted(dimensions, key=order.index):
        e, p = mean(dimensions[d][0]), mean(dimensions[d][1])
        if answers.get("importance") and e is not None and p is not None:
            weighted = (weighted or 0.0) + answers["importance"].get(d, 0) / 100 * (e - p)
    for d, levels in dimensions.items():
        subjects[f"dimension:{d}"] = levels
    out = []
    for key, (e, p, diff) in subjects.items():
        out.append((key, *(None if mean(v) is None else units(mean(v)) for v in (e, p, diff)), 0))
    if weighted is not None:
        out.append(("weighted_gap5", None, None, units(weighted), 0))
    if answers.get("preferred_channel"):
        out.append((f"channel:{answers['preferred_channel']}", None, None, None, 1))
    return out


KEY = ["organization_id", "audience", "grain", "subject_key", "location_id", "region", "segment",
       "channel", "period_start", "period_end"]
SUMS = ["responses", "n_expectation", "sum_expectation", "sumsq_expectation", "n_perception",
        "sum_perception", "sumsq_perception", "n_difference", "sum_difference",
        "sumsq_difference"]


def month_of(day):
    """First and last day of the month of an ISO date."""
    first = datetime.date.fromisoformat(day[:10]).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first.isoformat(), (following - datetime.timedelta(days=1)).isoformat()


def upserts(cell, c):
    """The day cell and the month cell, as src/surveys/store.rs writes them."""
    key, e, p, d, count = c
    part = lambda v: (0, 0, 0) if v is None else (1, v, v * v)
    first, last = month_of(cell["period_start"])
    out = []
    for grain, start, end in (("month", first, last),
                              ("day", cell["period_start"], cell["period_end"])):
        row = dict(zip(KEY, [cell["organization_id"], "customer", grain, key, cell["location_id"],
                             cell["region"], cell["segment"], cell["channel"], start, end]))
        row.update(zip(SUMS, [max(1, count), *part(e), *part(p), *part(d)]))
        sets = ", ".join(f"{s} = survey_rollups.{s} + excluded.{s}" for s in SUMS)
        out.append(insert("survey_rollups", row)[:-1]
                   + f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};")
    return out


responses = query_json("SELECT * FROM survey_responses WHERE audience = 'customer'")
if not responses:
    raise SystemExit("no customer responses to replay")
before = query_json("SELECT * FROM survey_rollups WHERE audience = 'customer' "
                    "ORDER BY " + ", ".join(KEY))
instruments = {}
for r in responses:
    v = r["instrument_version_id"]
    if v not in instruments:
        row = query_json(f"SELECT content, book_version_id FROM survey_instrument_versions WHERE id = {literal(v)}")[0]
        book = query_json(f"SELECT content FROM standards_book_versions WHERE id = {literal(row['book_version_id'])}")[0]
        instruments[v] = (json.loads(row["content"]), json.loads(book["content"]))

execute("DELETE FROM survey_responses WHERE audience = 'customer';"
        "DELETE FROM survey_rollups WHERE audience = 'customer';")
begin = "BEGIN;" if postgres else "BEGIN IMMEDIATE;"
header = ("\\set ON_ERROR_STOP on\n" if postgres else
          ".bail on\n.timeout 30000\nPRAGMA synchronous = FULL;\nPRAGMA foreign_keys = ON;\n")
scripts = [[header] for _ in range(clients)]
for n, r in enumerate(responses):
    content, book = instruments[r["instrument_version_id"]]
    statements = [begin, insert("survey_responses", r)]
    for c in contributions(content, book, json.loads(r["answers"])):
        statements += upserts(r, c)
    scripts[n % clients].append("\n".join(statements + ["COMMIT;"]) + "\n")
paths = []
for n, script in enumerate(scripts):
    path = os.path.join(workdir, f"surveys-raw-{n}.sql")
    with open(path, "w") as f:
        f.writelines(script)
    paths.append(path)
command = (lambda p: ["psql", "-X", "-q", "-f", p, database]) if postgres else \
          (lambda p: ["sqlite3", database, f".read {p}"])
started = time.monotonic()
running = [subprocess.Popen(command(p), stdout=subprocess.DEVNULL) for p in paths]
if any(p.wait() != 0 for p in running):
    raise SystemExit("a raw client failed")
seconds = time.monotonic() - started
after = query_json("SELECT * FROM survey_rollups WHERE audience = 'customer' "
                   "ORDER BY " + ", ".join(KEY))
if after != before:
    raise SystemExit("the replayed roll-ups differ from the API's")
print(json.dumps({"rows": len(responses), "clients": clients, "seconds": round(seconds, 3),
                  "per_second": round(len(responses) / seconds, 1)}))
