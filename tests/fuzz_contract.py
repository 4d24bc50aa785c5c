#!/usr/bin/env python3
"""Contract fuzzing: schemathesis drives a release server started on the demo organization from
`openapi.yaml`, with every check on, once as a manager and once as a shopper, with a fixed seed.
Any failure fails the run; schemathesis prints each one with a curl line to reproduce it.

    tests/fuzz_contract.py BINARY [--database-url postgres://…] [--max-examples 50] [--seed 1]
                           [--only-role manager|shopper] [--workers 2]

Without --database-url, a SQLite file in a temporary directory. The PostgreSQL database named is
dropped and created again. Needs `schemathesis` (PyPI) installed for this Python; .ci/run installs the version it pins.

Checks are all on (`--checks all`). What is configured, and why, is in schemathesis.toml
beside this script; nothing there turns a check off.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--database-url")
parser.add_argument("--max-examples", type=int, default=50)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--only-role", choices=["manager", "shopper"])
parser.add_argument("--workers", type=int, default=2)
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
data = tempfile.mkdtemp(prefix="shopgap-fuzz-")
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
base = f"http://127.0.0.1:{port}"
env = dict(os.environ, SHOPGAP_DATA_DIR=data, SHOPGAP_BIND=f"127.0.0.1:{port}", SHOPGAP_LOG="error",
           # A run takes longer than the default 15-minute access token.
           SHOPGAP_ACCESS_TOKEN_TTL="7200")
if args.database_url:
    name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-X", "-q", admin_url, "-c", sql], check=True)
    env["SHOPGAP_DATABASE_URL"] = args.database_url
backend = "postgresql" if args.database_url else "sqlite"


def log(message):
    print(f"[fuzz-contract {backend}] {message}", flush=True)


out_path = os.path.join(data, "server.out")
server = subprocess.Popen([args.binary, "serve", "--demo"], env=env,
                          stdout=open(out_path, "w"), stderr=subprocess.STDOUT)


def request(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"content-type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


try:
    deadline = time.time() + 60
    while True:
        try:
            if request("GET", "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise SystemExit(f"the server did not come up:\n{open(out_path).read()}")
        time.sleep(0.05)

    def password_of(email):
        for line in open(out_path):
            parts = line.split()
            if len(parts) >= 3 and parts[1] == email:
                return parts[2]
        raise SystemExit(f"no credentials for {email} in the server's output")

    def token_of(email):
        status, payload = request("POST", "/v1/auth/login",
                                  {"email": email, "password": password_of(email)})
        if status != 200:
            raise SystemExit(f"login of {email}: {status} {payload[:300]!r}")
        return json.loads(payload)["access_token"]

    roles = {"manager": "manager@demo-motors.example.com",
             "shopper": "shopper1@demo-motors.example.com"}
    failed = []
    for role, email in roles.items():
        if args.only_role and role != args.only_role:
            continue
        token = token_of(email)
        report = os.path.join(data, f"report-{role}")
        # The CLI of the schemathesis installed for this Python (its `st` script does the same).
        command = [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; "
                   "sys.argv[0] = 'st'; sys.exit(schemathesis())",
                   "--config-file", os.path.join(here, "schemathesis.toml"),
                   "run", os.path.join(root, "openapi.yaml"), "--url", base,
                   "--checks", "all", "--seed", str(args.seed),
                   "--max-examples", str(args.max_examples), "--workers", str(args.workers),
                   "--header", f"Authorization: Bearer {token}",
                   "--report", "junit", "--report-dir", report, "--no-color"]
        log(f"as the {role}: st run openapi.yaml --checks all --seed {args.seed} "
            f"--max-examples {args.max_examples}")
        for attempt in (1, 2):
            started = time.time()
            result = subprocess.run(command, cwd=data, capture_output=True, text=True)
            print(result.stdout, result.stderr, sep="", flush=True)
            log(f"as the {role}: exit {result.returncode} in {time.time() - started:.0f} s")
            # Schemathesis's coverage phase collects cases within a time budget, so on a loaded
            # machine Hypothesis can report "Inconsistent results" while *generating* (a runtime
            # error of the tool: no request failed a check). Such a run, and only such a run, is
            # repeated once; any check failure fails at once.
            tool_error_only = ("Runtime Error" in result.stdout
                               and "\nFailures:" not in result.stdout)
            if result.returncode == 0 or not tool_error_only or attempt == 2:
                break
            log(f"as the {role}: schemathesis itself erred (no check failed); running it again")
        if result.returncode != 0:
            failed.append(role)
        if server.poll() is not None:
            raise SystemExit(f"the server died:\n{open(out_path).read()[-3000:]}")
    if failed:
        raise SystemExit(f"schemathesis found failures as: {', '.join(failed)}")
    log("no failures")
finally:
    server.terminate()
    server.wait()
