"""What the benchmark preparation scripts share: a keep-alive JSON client per thread, and signing
in with the credentials `serve --demo` printed. Standard library only."""
import http.client
import json
import threading
import urllib.parse


class Api:
    def __init__(self, base, credentials_file):
        self.url = urllib.parse.urlsplit(base)
        self.credentials_file = credentials_file
        self.local = threading.local()

    def call(self, method, path, token=None, body=None, headers=None, raw=None, expect=(200, 201)):
        if not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        h = dict(headers or {})
        if token:
            h["authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["content-type"] = "application/json"
        try:
            self.local.conn.request(method, path, body=data, headers=h)
            resp = self.local.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (after its keep-alive timeout)
            # before this request reached it: send it again on a new one.
            self.local.conn.close()
            self.local.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
            self.local.conn.request(method, path, body=data, headers=h)
            resp = self.local.conn.getresponse()
        payload = resp.read()
        if resp.status not in expect:
            raise SystemExit(f"{method} {path}: {resp.status} {payload[:500]!r}")
        return resp, (json.loads(payload) if payload else None)

    def password_of(self, email):
        for line in open(self.credentials_file):
            parts = line.split()
            if len(parts) >= 3 and parts[1] == email:
                return parts[2]
        raise SystemExit(f"no credentials for {email} in {self.credentials_file}")

    def login(self, email, password=None):
        _, body = self.call("POST", "/v1/auth/login",
                            body={"email": email, "password": password or self.password_of(email)})
        return body["access_token"]

    def locations(self, token, code_prefix):
        """Every location whose code starts with the prefix: id -> (latitude, longitude)."""
        found, cursor = {}, None
        while True:
            _, page = self.call("GET", f"/v1/locations?limit=200&q={code_prefix}"
                                + (f"&cursor={cursor}" if cursor else ""), token)
            for loc in page["items"]:
                if loc["code"].startswith(code_prefix):
                    found[loc["id"]] = (loc["latitude"], loc["longitude"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def import_locations(self, token, code_prefix, count=100):
        """COUNT in-person locations around Berlin, by CSV; returns them as `locations` does."""
        csv = "code,name,region,segment,latitude,longitude,time_zone,channels\n" + "".join(
            f"{code_prefix}{i:03},Bench {i},R{i % 5},b2c,{52.3 + (i % 10) * 0.05:.4f},"
            f"{13.1 + (i // 10) * 0.06:.4f},Europe/Berlin,in_person\n" for i in range(count))
        self.call("POST", "/v1/locations/import", token, raw=csv.encode(),
                  headers={"content-type": "text/csv"})
        return self.locations(token, code_prefix)
