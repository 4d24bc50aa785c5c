#!/usr/bin/env python3
"""The database alone writing what the API wrote for the submissions just benchmarked: the
reference the API's ingest rate is compared with (bench/ingest.sh).

Reads the rows the server stored for every submitted shop: the submission, the assignment's new
state, its history entry, the two outbox events (`assignment.submitted`, `submission.submitted`)
and the shopper's reputation counts. Then, for each writer count given, deletes what the
submissions added (and takes their counts back off the reputation) and replays exactly those
rows, one transaction per submission, from that many threads of this process, each with its own
connection and prepared statements (Python's sqlite3, which keeps them in its statement cache;
psycopg 3 with `prepare=True`), with the server's durability: SQLite in WAL with
`synchronous=FULL` and `BEGIN IMMEDIATE` as the server does, PostgreSQL with synchronous commit.
No HTTP, no JSON, no validation, no reads: the database's own rate for the same rows.

    bench/ingest_raw.py DATABASE WRITERS [WRITERS ...]     # DATABASE: SQLite file or postgres:// URL

Prints one JSON line per writer count: writers, rows, seconds, per_second. ROWS (default 6000)
caps the submissions replayed per run. PostgreSQL needs psycopg 3 (pip install "psycopg[binary]").
"""
import json
import os
import sqlite3
import sys
import threading
import time

database, writer_counts = sys.argv[1], [int(w) for w in sys.argv[2:]]
postgres = database.startswith(("postgres://", "postgresql://"))
limit = int(os.environ.get("ROWS", "6000"))

if postgres:
    import psycopg

    from urllib.parse import urlsplit

    # The server's transport: on this machine's loopback, with no sslmode in the URL, it connects
    # without TLS (`without_tls_on_loopback` in src/db/mod.rs, which also leaves PGSSLMODE to
    # libpq); the reference does the same.
    parts = urlsplit(database)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1") and "," not in parts.netloc
    if loopback and "PGSSLMODE" not in os.environ and not any(k in parts.query for k in ("sslmode", "host")):
        database += ("&" if parts.query else "?") + "sslmode=disable"

    def connect():
        return psycopg.connect(database, autocommit=True)

    P = "%s"
else:
    def connect():
        conn = sqlite3.connect(database, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    P = "?"


def rows(conn, sql, params=()):
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def insert_sql(table, columns):
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join([P] * len(columns))})")


admin = connect()
submissions = rows(admin, "SELECT * FROM submissions WHERE status = 'submitted' ORDER BY id")[:limit]
if not submissions:
    raise SystemExit("no submitted shops to replay")
ids = [s["id"] for s in submissions]
assignment_ids = [s["assignment_id"] for s in submissions]


def in_list(values):
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


assignments = {a["id"]: a for a in rows(
    admin, f"SELECT id, status, version, updated_at, submitted_at, window_end FROM assignments "
           f"WHERE id IN ({in_list(assignment_ids)})")}
history = {e["assignment_id"]: e for e in rows(
    admin, f"SELECT * FROM assignment_events WHERE action = 'submit' "
           f"AND assignment_id IN ({in_list(assignment_ids)})")}
# The outbox events of those submissions, by the id their payload names.
outbox = {}
for e in rows(admin, "SELECT id, organization_id, event_type, occurred_at, payload FROM events "
                     "WHERE event_type IN ('assignment.submitted', 'submission.submitted')"):
    data = json.loads(e["payload"])
    key = data.get("submission_id") or data.get("assignment_id")
    outbox.setdefault(key, []).append(e)
for s in submissions:
    if len(outbox.get(s["id"], [])) + len(outbox.get(s["assignment_id"], [])) != 2:
        raise SystemExit(f"expected two outbox events for submission {s['id']}")

# What each submission added to its shopper's reputation counts (submitted, on time).
added = {}
for s in submissions:
    a = assignments[s["assignment_id"]]
    on_time = 1 if str(s["submitted_at"]) <= str(a["window_end"]) else 0
    n, k = added.get(s["shopper_id"], (0, 0))
    added[s["shopper_id"]] = (n + 1, k + on_time)


def reset(conn):
    """Takes the replayed submissions' rows and counts away: the state before they were written."""
    conn.execute("BEGIN" if postgres else "BEGIN IMMEDIATE")
    for table, column, values in [("events", "id", [e["id"] for s in submissions
                                                    for key in (s["id"], s["assignment_id"])
                                                    for e in outbox.get(key, [])]),
                                  ("assignment_events", "id", [history[a]["id"] for a in assignment_ids]),
                                  ("submissions", "id", ids)]:
        for start in range(0, len(values), 500):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({in_list(values[start:start + 500])})")
    for shopper, (n, k) in added.items():
        conn.execute(f"UPDATE shopper_reputation SET submitted = submitted - {P}, "
                     f"on_time = on_time - {P} WHERE shopper_id = {P}", (n, k, shopper))
    conn.execute("COMMIT")


# One transaction per submission: its statements and parameters, as the server writes them.
sub_columns = list(submissions[0])
sub_sql = insert_sql("submissions", sub_columns)
history_columns = list(next(iter(history.values())))
history_sql = insert_sql("assignment_events", history_columns)
event_columns = ["id", "organization_id", "event_type", "occurred_at", "payload"]
event_sql = insert_sql("events", event_columns)
assignment_sql = (f"UPDATE assignments SET status = {P}, version = {P}, updated_at = {P}, "
                  f"submitted_at = {P} WHERE id = {P}")
reputation_sql = (f"UPDATE shopper_reputation SET submitted = submitted + 1, "
                  f"on_time = on_time + {P}, updated_at = {P} WHERE shopper_id = {P}")
transactions = []
for s in submissions:
    a = assignments[s["assignment_id"]]
    on_time = 1 if str(s["submitted_at"]) <= str(a["window_end"]) else 0
    events = outbox.get(s["assignment_id"], []) + outbox.get(s["id"], [])
    transactions.append(
        [(sub_sql, tuple(s[c] for c in sub_columns)),
         (reputation_sql, (on_time, s["submitted_at"], s["shopper_id"])),
         (assignment_sql, (a["status"], a["version"], a["updated_at"], a["submitted_at"], a["id"])),
         (history_sql, tuple(history[s["assignment_id"]][c] for c in history_columns))]
        + [(event_sql, tuple(e[c] for c in event_columns)) for e in events])


def replay(share, failures):
    try:
        conn = connect()
        begin = "BEGIN" if postgres else "BEGIN IMMEDIATE"
        for statements in share:
            if postgres:
                with conn.transaction():
                    for sql, params in statements:
                        conn.execute(sql, params, prepare=True)
            else:
                conn.execute(begin)
                for sql, params in statements:
                    conn.execute(sql, params)
                conn.execute("COMMIT")
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported, and the run fails
        failures.append(repr(e))


def stored(conn):
    return conn.execute("SELECT count(*) FROM submissions WHERE status = 'submitted'").fetchone()[0]


before = stored(admin)
for writers in writer_counts:
    reset(admin)
    shares = [transactions[n::writers] for n in range(writers)]
    failures = []
    threads = [threading.Thread(target=replay, args=(share, failures)) for share in shares]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    if failures:
        raise SystemExit(f"a raw writer failed: {failures[0]}")
    if stored(admin) != before:
        raise SystemExit(f"replayed into {stored(admin)} submissions, expected {before}")
    print(json.dumps({"writers": writers, "rows": len(transactions), "seconds": round(seconds, 3),
                      "per_second": round(len(transactions) / seconds, 1)}), flush=True)
