#!/usr/bin/env python3
"""The database alone writing what the API wrote for the submissions just benchmarked.

Takes the rows the server stored for every submitted shop (the submission, the assignment's new
state, the history event), puts the database back as it was before (submissions and events
deleted, assignments accepted again), then replays exactly those rows as literal SQL, one
transaction per submission (BEGIN IMMEDIATE on SQLite, as the server does), from CLIENTS
parallel command-line clients (sqlite3 / psql) with the server's durability settings
(SQLite: WAL, synchronous=FULL, foreign keys; PostgreSQL: the server's defaults, synchronous
commit on). Prints one JSON line: rows, seconds, per_second.

    bench/ingest_raw.py DATABASE CLIENTS WORKDIR      # DATABASE: SQLite file or postgres:// URL
"""
import json
import os
import subprocess
import sys
import time

database, clients, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
postgres = database.startswith(("postgres://", "postgresql://"))


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
        subprocess.run(["sqlite3", database], input=f"BEGIN;\n{sql}\nCOMMIT;\n", text=True, check=True)


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if postgres else ("1" if value else "0")
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert(table, row):
    columns = ", ".join(row)
    values = ", ".join(literal(v) for v in row.values())
    return f"INSERT INTO {table} ({columns}) VALUES ({values});"


submissions = query_json("SELECT * FROM submissions WHERE status = 'submitted'")
if not submissions:
    raise SystemExit("no submitted shops to replay")
ids = "SELECT assignment_id FROM submissions WHERE status = 'submitted'"
assignments = {a["id"]: a for a in query_json(
    f"SELECT id, status, version, updated_at, submitted_at FROM assignments WHERE id IN ({ids})")}
events = {e["assignment_id"]: e for e in query_json(
    f"SELECT * FROM assignment_events WHERE action = 'submit' AND assignment_id IN ({ids})")}

# Back to the state before the API run: accepted assignments, no submissions, no submit events.
execute(f"DELETE FROM assignment_events WHERE action = 'submit' AND assignment_id IN ({ids});"
        f"UPDATE assignments SET status = 'accepted', version = version - 1, submitted_at = NULL "
        f"WHERE id IN ({ids});"
        f"DELETE FROM submissions WHERE status = 'submitted';")

begin = "BEGIN;" if postgres else "BEGIN IMMEDIATE;"
header = ("\\set ON_ERROR_STOP on\n" if postgres else
          ".bail on\n.timeout 30000\nPRAGMA synchronous = FULL;\nPRAGMA foreign_keys = ON;\n")
scripts = [[header] for _ in range(clients)]
for n, sub in enumerate(submissions):
    a = assignments[sub["assignment_id"]]
    update = (f"UPDATE assignments SET status = {literal(a['status'])}, version = {a['version']}, "
              f"updated_at = {literal(a['updated_at'])}, submitted_at = {literal(a['submitted_at'])} "
              f"WHERE id = {literal(a['id'])};")
    scripts[n % clients].append("\n".join([begin, insert("submissions", sub), update,
                                           insert("assignment_events", events[sub["assignment_id"]]),
                                           "COMMIT;"]) + "\n")
paths = []
for n, script in enumerate(scripts):
    path = os.path.join(workdir, f"raw-{n}.sql")
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

stored = query_json("SELECT count(*) AS n FROM submissions WHERE status = 'submitted'")[0]["n"]
if stored != len(submissions):
    raise SystemExit(f"replayed {stored} of {len(submissions)} submissions")
print(json.dumps({"rows": len(submissions), "clients": clients, "seconds": round(seconds, 3),
                  "per_second": round(len(submissions) / seconds, 1)}))
