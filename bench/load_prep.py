#!/usr/bin/env python3
"""Prepares the read-load benchmark (bench/load.sh) through the API of a server started with
--demo: 100 locations, SHOPPERS shoppers who each hold HELD accepted assignments at different
locations (what a full sync returns), and OPEN more open assignments on the job board. Writes the
shoppers' access tokens, one per line. Standard library only.

    bench/load_prep.py BASE_URL CREDENTIALS_FILE TOKENS_FILE [SHOPPERS=100] [HELD=10] [OPEN=10000]
"""
import datetime as dt
import sys

from benchlib import Api

base, credentials_file, tokens_file = sys.argv[1:4]
shoppers_wanted = int(sys.argv[4]) if len(sys.argv) > 4 else 100
held = int(sys.argv[5]) if len(sys.argv) > 5 else 10
open_jobs = int(sys.argv[6]) if len(sys.argv) > 6 else 10000
api = Api(base, credentials_file)
admin = api.login("admin@demo-motors.example.com")
manager = api.login("manager@demo-motors.example.com")

# Room for the held jobs and a non-empty board; the demo's cooldown stays as it is.
resp, _ = api.call("GET", "/v1/organization", admin)
api.call("PATCH", "/v1/organization", admin, {"max_active_assignments": held + 10},
         headers={"if-match": resp.getheader("etag")})
locations = api.import_locations(manager, "LD")
_, checklists = api.call("GET", "/v1/checklists", manager)
version = next(v["id"] for c in checklists["items"] for v in c["versions"]
               if v["channel"] == "in_person" and v["status"] == "published")

now = dt.datetime.now(dt.timezone.utc)
per_location = -(-(shoppers_wanted * held + open_jobs) // len(locations))
while per_location > 0:  # a wave holds at most 100 shops per location
    n = min(per_location, 100)
    api.call("POST", "/v1/waves", manager, {
        "checklist_version_id": version, "location_ids": list(locations), "shops_per_location": n,
        "window_start": (now - dt.timedelta(days=1)).isoformat(),
        "window_end": (now + dt.timedelta(days=60)).isoformat(), "fee_cents": 2500})
    per_location -= n

# Open jobs by location, to hand each shopper HELD jobs at different places.
by_location, cursor = {loc: [] for loc in locations}, None
while True:
    _, page = api.call("GET", "/v1/assignments?status=open&limit=200"
                       + (f"&cursor={cursor}" if cursor else ""), manager)
    for a in page["items"]:
        if a["location_id"] in by_location:
            by_location[a["location_id"]].append(a["id"])
    cursor = page.get("next_cursor")
    if not cursor:
        break
order = list(locations)


def prepare(n):
    email = f"load-shopper{n}@demo-motors.example.com"
    api.call("POST", "/v1/users", admin, {"email": email, "display_name": f"Load {n}",
                                          "role": "shopper", "password": "load-password-123"})
    token = api.login(email, "load-password-123")
    for k in range(held):
        assignment = by_location[order[(n + k * 7) % len(order)]].pop()
        api.call("POST", f"/v1/assignments/{assignment}/accept", token, {})
    return token


tokens = [prepare(n) for n in range(shoppers_wanted)]
with open(tokens_file, "w") as out:
    out.writelines(token + "\n" for token in tokens)
left = sum(len(v) for v in by_location.values())
print(f"prepared {len(tokens)} shoppers holding {held} jobs each; {left} open jobs", file=sys.stderr)
