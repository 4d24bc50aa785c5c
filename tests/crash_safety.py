#!/usr/bin/env python3
"""Crash safety: a release server is killed with SIGKILL at random moments while shoppers'
apps submit and a manager approves, restarted each time, and the clients retry whatever was not
acknowledged (as the app's outbox does). Afterwards every acknowledged submission must be
present with all its answers and its scores, none duplicated, none partial (its assignment moved
and one history entry), every approval kept, and the report roll-ups equal to a rebuild.

Webhooks: a receiver on a loopback port takes every event the work causes while the server is
killed mid-delivery, verifies each request with the official Standard Webhooks library
(PyPI `standardwebhooks`), and fails one request in ten; afterwards every event of the feed has
arrived at least once, and every attempt of an event carried the same id and the same body.

    tests/crash_safety.py BINARY [--database-url postgres://…] [--jobs 240] [--kills 6] [--seed 7]

Without --database-url, a SQLite file in a temporary directory. The PostgreSQL database named
is dropped and created again. Standard library and `standardwebhooks`; run by .ci/run on both
backends.
"""
import argparse
import concurrent.futures as futures
import http.client
import http.server
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from harness import Server
from standardwebhooks.webhooks import Webhook

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from benchlib import Api  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--database-url")
parser.add_argument("--jobs", type=int, default=400)
parser.add_argument("--kills", type=int, default=6)
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args()
random.seed(args.seed)
here = os.path.dirname(os.path.abspath(__file__))
# Deliveries to this machine over http; retries shrunk a thousandfold (seconds, not days).
server = Server(args.binary, args.database_url, prefix="shopgap-crash-",
                SHOPGAP_WEBHOOK_ALLOW_HTTP="true", SHOPGAP_WEBHOOK_ALLOW_PRIVATE="true",
                SHOPGAP_WEBHOOK_TIME_SCALE="0.001")
data, port, base, env, backend = server.data, server.port, server.base, server.env, server.backend


def log(message):
    print(f"[crash-safety {backend}] {message}", flush=True)


start = server.start


def kill():
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()


def call(method, path, token=None, body=None, headers=None):
    """One request on a fresh connection; None when the server is gone mid-way."""
    h = dict(headers or {})
    if token:
        h["authorization"] = f"Bearer {token}"
    data_ = None
    if body is not None:
        data_ = json.dumps(body).encode()
        h["content-type"] = "application/json"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=data_, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, (json.loads(payload) if payload else None)
    except (OSError, http.client.HTTPException, json.JSONDecodeError):
        return None


failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


# The demo accounts without the first start's history: what is counted below is this script's.
start(demo=True, history=False)

received = {}  # webhook-id -> the bodies of its attempts
bad_signatures = []
hook_lock = threading.Lock()
hook_secret = [None]
receiver_luck = random.Random(11)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook(hook_secret[0]).verify(body, headers)
        except Exception as e:  # noqa: BLE001 - any failure to verify is a finding
            bad_signatures.append(f"{headers.get('webhook-id')}: {e}")
        with hook_lock:
            received.setdefault(headers.get("webhook-id"), []).append(body)
            fail = receiver_luck.random() < 0.1
        self.send_response(500 if fail else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hooks.serve_forever, daemon=True).start()
api = Api(base, server.out_path)
admin = api.login("admin@demo-motors.example.com")
_, endpoint = api.call("POST", "/v1/webhooks", admin,
                       {"url": f"http://127.0.0.1:{hooks.server_address[1]}/hooks"})
hook_secret[0] = endpoint["secret"]


def feed_after(cursor):
    """Every event after `cursor` (and the cursor to go on from)."""
    events = []
    while True:
        _, page = api.call("GET", f"/v1/events?limit=500&after={cursor}", admin)
        events += page["items"]
        cursor = page["next_cursor"]
        if not page["more"]:
            return events, cursor


_, feed_start = feed_after("")
log("preparing jobs through the API")
subprocess.run([sys.executable, os.path.join(here, "..", "bench", "ingest_prep.py"), base,
                os.path.join(data, "server.out"), str(args.jobs), os.path.join(data, "jobs.tsv"), "30"],
               check=True)
submits = [line.rstrip("\n").split("\t") for line in open(os.path.join(data, "jobs.tsv"))]
approves = [line.rstrip("\n").split("\t") for line in open(os.path.join(data, "jobs.tsv.approve"))]
manager = approves[0][1]

acknowledged = {}  # submission path -> the answer the client saw
retried = [0]  # requests that met a dead server and were sent again
kill_counts = []  # kills per phase, while that phase's requests were in flight
lock = threading.Lock()
stop_killing = threading.Event()


def send_until_acknowledged(job, approve=False):
    path, token, body = job[0], job[1], json.loads(job[2])
    headers = {"if-match": job[3]} if len(job) > 3 else None
    for attempt in range(400):
        result = call("POST", path, token, body, headers)
        if result is None or result[0] in (502, 503):
            with lock:
                retried[0] += 1
            time.sleep(0.05)  # the server is down: retry, as the app's outbox does
            continue
        status, answer = result
        if approve and status in (409, 412):
            # An approval that landed before the crash, its answer lost: the retry finds the
            # submission approved (version 2) already.
            # That look may itself meet a killed server: ask until one answers.
            got = None
            for _ in range(400):
                got = call("GET", path.rsplit("/", 1)[0], manager)
                if got is not None and got[0] not in (502, 503):
                    break
                time.sleep(0.05)
            if got and got[0] == 200 and got[1]["status"] == "approved":
                status = 200
        if status != 200:
            failures.append(f"{path}: {status} {str(answer)[:300]}")
            return
        with lock:
            acknowledged[path] = answer
        return
    failures.append(f"{path}: never acknowledged")


def killer():
    kills = 0
    while kills < args.kills and not stop_killing.is_set():
        time.sleep(random.uniform(0.05, 0.3))
        if stop_killing.is_set():
            break
        kill()
        kills += 1
        time.sleep(random.uniform(0.0, 0.3))
        start()
    kill_counts.append(kills)
    log(f"killed the server {kills} times")


for phase, jobs in (("submit", submits), ("approve", approves)):
    stop_killing.clear()
    k = threading.Thread(target=killer)
    k.start()
    with futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda j: send_until_acknowledged(j, phase == "approve"), jobs))
    stop_killing.set()
    k.join()
    log(f"{phase}: {len(jobs)} sent and acknowledged; {retried[0]} requests so far met a "
        "killed server and were sent again")

log("checking every acknowledged submission")
for path, _, body in submits:
    sid = path.split("/")[3]
    got = call("GET", f"/v1/submissions/{sid}", manager)
    check(got is not None and got[0] == 200, f"{sid}: acknowledged but not found")
    if not got or got[0] != 200:
        continue
    stored = got[1]
    sent = json.loads(body)
    check(stored["status"] == "approved", f"{sid}: {stored['status']}, not approved")
    check(stored["content"]["answers"] == sent["answers"], f"{sid}: answers differ from what was sent")
    check(stored["scores"] is not None and stored["scores"].get("visit_score") is not None,
          f"{sid}: no scores")
    check(stored["version"] == 2, f"{sid}: version {stored['version']} (one submit, one approval)")
    history = call("GET", f"/v1/assignments/{sent['assignment_id']}/history", manager)
    actions = [e["action"] for e in history[1]["items"]] if history and history[0] == 200 else []
    check(actions.count("submit") == 1 and actions.count("approve") == 1,
          f"{sid}: history {actions}")
    assignment = call("GET", f"/v1/assignments/{sent['assignment_id']}", manager)
    check(assignment is not None and assignment[0] == 200 and assignment[1]["status"] == "approved",
          f"{sid}: assignment {assignment and assignment[1].get('status')}")

log("waiting for every event to reach the webhook receiver")
api = Api(base, server.out_path)  # the server restarted: a fresh connection
admin = api.login("admin@demo-motors.example.com")
events, _ = feed_after(feed_start)
wanted = {e["id"]: e for e in events}
deadline = time.time() + 300
while time.time() < deadline:
    with hook_lock:
        missing = [i for i in wanted if i not in received]
    if not missing:
        break
    time.sleep(0.5)
check(not missing, f"{len(missing)} of {len(wanted)} events never reached the receiver, "
      f"e.g. {missing[:3]}")
check(not bad_signatures, f"{len(bad_signatures)} deliveries failed verification: {bad_signatures[:3]}")
with hook_lock:
    attempts = sum(len(b) for b in received.values())
    for hook_id, bodies in received.items():
        check(len(set(bodies)) == 1, f"{hook_id}: attempts carried different bodies")
        if hook_id in wanted:
            check(json.loads(bodies[0]) == wanted[hook_id], f"{hook_id}: the body is not the feed's event")
log(f"webhooks: {len(wanted) - len(missing)} of {len(wanted)} events delivered in {attempts} "
    f"attempts (receiver errors and kills cause the repeats); {len(bad_signatures)} signatures "
    "failed verification")

# No extra submissions: the approved ones are exactly the jobs (none stored twice).
approved = 0
cursor = None
while True:
    page = call("GET", "/v1/submissions?status=approved&limit=200" + (f"&cursor={cursor}" if cursor else ""), manager)
    approved += len(page[1]["items"])
    cursor = page[1].get("next_cursor")
    if not cursor:
        break
check(approved == len(submits), f"{approved} approved submissions for {len(submits)} jobs")

reports = ["/v1/reports/gaps?group_by=standard,location", "/v1/reports/gaps?group_by=dimension,week",
           "/v1/reports/trend?grain=week", "/v1/reports/ranking"]
before = [call("GET", r, manager) for r in reports]
kill()
rebuild = subprocess.run([args.binary, "rebuild-rollups"], env=env, capture_output=True, text=True)
check(rebuild.returncode == 0, f"rebuild-rollups: {rebuild.stderr}")
start()
after = [call("GET", r, manager) for r in reports]
for r, b, a in zip(reports, before, after):
    same = b is not None and b[0] == 200 and b == a
    detail = ""
    if not same and b and a:
        rows_b = b[1].get("rows") or b[1].get("points") or []
        rows_a = a[1].get("rows") or a[1].get("points") or []
        diff = [(x, y) for x, y in zip(rows_b, rows_a) if x != y][:2]
        detail = f" ({len(rows_b)} rows before, {len(rows_a)} after; first differences {diff})"
    check(same, f"{r}: the roll-ups differ from a rebuild{detail}")
kill()

if failures:
    for f in failures[:40]:
        log(f"FAIL {f}")
    raise SystemExit(f"[crash-safety {backend}] {len(failures)} failures")
if min(kill_counts) < 2 or retried[0] == 0:
    raise SystemExit(f"[crash-safety {backend}] the kills missed the work ({kill_counts} kills, "
                     f"{retried[0]} retries): use more --jobs")
log(f"passed: {len(submits)} submissions and approvals, the server killed {kill_counts} times "
    f"while they were sent, {retried[0]} requests retried; none lost, doubled or partial; "
    "roll-ups equal a rebuild")
