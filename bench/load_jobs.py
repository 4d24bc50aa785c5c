#!/usr/bin/env python3
"""Sends lines FROM..TO (1-based, inclusive) of a jobs file (`path \\t token \\t body [\\t if-match]`)
as POSTs from THREADS keep-alive connections, failing on any answer but 200/201. For loading
benchmark data, not for measuring: the measurements use wrk.

    bench/load_jobs.py BASE_URL JOBS_FILE FROM TO [THREADS]
"""
import concurrent.futures as futures
import http.client
import sys
import threading
import urllib.parse

base, path, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
url = urllib.parse.urlsplit(base)
local = threading.local()
with open(path) as f:
    lines = [line.rstrip("\n") for n, line in enumerate(f, 1) if first <= n <= last]


def send(line):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    fields = line.split("\t")
    headers = {"content-type": "application/json", "authorization": f"Bearer {fields[1]}"}
    if len(fields) > 3:
        headers["if-match"] = fields[3]
    local.conn.request("POST", fields[0], body=fields[2].encode(), headers=headers)
    resp = local.conn.getresponse()
    body = resp.read()
    if resp.status not in (200, 201):
        raise SystemExit(f"POST {fields[0]}: {resp.status} {body[:300]!r}")


with futures.ThreadPoolExecutor(threads) as pool:
    list(pool.map(send, lines))
