#!/usr/bin/env python3
"""Adds COUNT open jobs to the job board of a server prepared by bench/load_prep.py: waves over
its 100 "LD" locations on their published in-person checklist, 60 days long. bench/load.sh
grows the board with it from 1,000 to 10,000 and 100,000 open jobs. Standard library only.

    bench/open_jobs.py BASE_URL CREDENTIALS_FILE COUNT
"""
import datetime as dt
import sys

from benchlib import Api

base, credentials_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
api = Api(base, credentials_file)
manager = api.login("manager@demo-motors.example.com")
locations = list(api.locations(manager, "LD"))
_, checklists = api.call("GET", "/v1/checklists", manager)
version = next(v["id"] for c in checklists["items"] for v in c["versions"]
               if v["channel"] == "in_person" and v["status"] == "published")
now = dt.datetime.now(dt.timezone.utc)
left = count
while left > 0:
    # A wave holds at most 100 shops per location; the last one only the locations it needs.
    per_location = min(100, max(1, left // len(locations)))
    places = locations if per_location * len(locations) <= left else locations[:left]
    api.call("POST", "/v1/waves", manager, {
        "checklist_version_id": version, "location_ids": places, "shops_per_location": per_location,
        "window_start": (now - dt.timedelta(days=1)).isoformat(),
        "window_end": (now + dt.timedelta(days=60)).isoformat(), "fee_cents": 2500})
    left -= per_location * len(places)
print(f"added {count} open jobs", file=sys.stderr)
