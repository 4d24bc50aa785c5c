"""What the scripts that drive a release server share (tests/crash_safety.py,
tests/fuzz_contract.py): a temporary data directory and a free port, a fresh database, and
starting `shopgap serve` until it answers. Standard library only."""
import http.client
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse


class Server:
    """A `shopgap serve` on a free local port, over a fresh database: a SQLite file in a
    temporary directory, or the PostgreSQL database named by `database_url`, dropped and
    created again."""

    def __init__(self, binary, database_url=None, prefix="shopgap-", **settings):
        self.binary = binary
        self.data = tempfile.mkdtemp(prefix=prefix)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.out_path = os.path.join(self.data, "server.out")
        self.env = dict(os.environ, SHOPGAP_DATA_DIR=self.data,
                        SHOPGAP_BIND=f"127.0.0.1:{self.port}", SHOPGAP_LOG="error", **settings)
        self.backend = "postgresql" if database_url else "sqlite"
        if database_url:
            name = urllib.parse.urlsplit(database_url).path.lstrip("/")
            admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
            for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
                subprocess.run(["psql", "-X", "-q", admin_url, "-c", sql], check=True)
            self.env["SHOPGAP_DATABASE_URL"] = database_url
        self.process = None

    def start(self, demo=False, history=True):
        """Starts the server (appending to `out_path`, where `--demo` prints its credentials)
        and waits until /healthz answers 200. `history=False` keeps the demo organization free
        of the history its first start otherwise gets (for scripts that count what they made)."""
        out = open(self.out_path, "a")
        flags = (["--demo"] + ([] if history else ["--demo-history", "false"])) if demo else []
        self.process = subprocess.Popen([self.binary, "serve"] + flags,
                                        env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"the server did not come up:\n{open(self.out_path).read()[-3000:]}")

    def alive(self):
        return self.process is not None and self.process.poll() is None
