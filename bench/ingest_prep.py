#!/usr/bin/env python3
"""Prepares the submission-ingest benchmark through the API of a server started with --demo:
a published 40-item checklist, 100 locations, enough shoppers, and COUNT assignments accepted by
them. Writes one line per job for bench/submit.lua: `<path>\t<token>\t<body>`, the body being a
complete final submission with varied answers. Standard library only.

    bench/ingest_prep.py BASE_URL CREDENTIALS_FILE COUNT OUT_FILE [SPREAD_DAYS]

With SPREAD_DAYS, visits are spread over that many past days (windows open accordingly), and
OUT_FILE.approve gets the manager's approval of each submission, for the report benchmark.
"""
import concurrent.futures as futures
import datetime as dt
import json
import math
import random
import sys
import uuid

from benchlib import Api

base, credentials_file, count, out_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
spread_days = int(sys.argv[5]) if len(sys.argv) > 5 else 0
random.seed(5)
api = Api(base, credentials_file)
call, login = api.call, api.login

admin = login("admin@demo-motors.example.com")
manager = login("manager@demo-motors.example.com")

# Lift the cooldown and raise the per-shopper cap so a few shoppers can hold every job.
resp, _ = call("GET", "/v1/organization", admin)
call("PATCH", "/v1/organization", admin, {"cooldown_days": 0, "max_active_assignments": 1000},
     headers={"if-match": resp.getheader("etag")})

# A 40-item checklist over 12 standards, every answer type, one critical item.
dimensions = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
standards = [{"code": f"B{i:02}", "text": f"Bench standard {i}", "dimension": dimensions[i % 5],
              "channels": ["in_person"], "target": 0.8 + (i % 3) * 0.05} for i in range(12)]
kinds = (["yes_no"] * 16 + ["scale"] * 8 + ["number"] * 4 + ["choice"] * 6
         + ["text"] * 3 + ["datetime"] * 3)
items = []
for i, kind in enumerate(kinds):
    item = {"key": f"q{i:02}", "prompt": f"Question {i}?", "type": kind}
    if kind in ("yes_no", "scale", "number", "choice"):
        item["standard"] = f"B{i % 12:02}"
    if kind == "scale":
        item["options"] = {"min": 1, "max": 5}
    elif kind == "number":
        item["options"] = {"comparator": "lte", "target": 30, "unit": "seconds"}
    elif kind == "choice":
        item["options"] = {"choices": [{"value": "full", "label": "Full", "points": 2},
                                       {"value": "some", "label": "Some", "points": 1},
                                       {"value": "none", "label": "None", "points": 0}]}
    elif kind in ("text", "datetime"):
        item["required"] = False
    if kind == "yes_no" and i % 4 == 1:
        item["allow_na"] = True
    if i == 0:
        item["critical"] = True
    items.append(item)
document = {
    "format": "shopgap.checklist/v1", "name": "Bench 40", "channel": "in_person",
    "sections": [{"title": f"Section {s}", "weight": 1 + s % 2, "items": items[s * 10:(s + 1) * 10]}
                 for s in range(4)],
    "standards_book": {"format": "shopgap.standards_book/v1", "name": "Bench book",
                       "principles": [], "protocols": [], "standards": standards},
}
_, version = call("POST", "/v1/checklists/import?publish=true", manager, document)

locations = api.import_locations(manager, "BN")

now = dt.datetime.now(dt.timezone.utc)
remaining = math.ceil(count / len(locations))
while remaining > 0:  # a wave holds at most 100 shops per location
    per_location = min(remaining, 100)
    call("POST", "/v1/waves", manager, {
        "checklist_version_id": version["id"], "location_ids": list(locations),
        "shops_per_location": per_location, "window_start": (now - dt.timedelta(days=1 + spread_days)).isoformat(),
        "window_end": (now + dt.timedelta(days=30)).isoformat(), "fee_cents": 2500})
    remaining -= per_location

jobs = []
cursor = None
while len(jobs) < count:
    _, page = call("GET", "/v1/assignments?status=open&limit=200" + (f"&cursor={cursor}" if cursor else ""), manager)
    jobs.extend((a["id"], a["location_id"]) for a in page["items"] if a["location_id"] in locations)
    cursor = page.get("next_cursor")
    if not cursor:
        break
jobs = jobs[:count]
if len(jobs) < count:
    raise SystemExit(f"only {len(jobs)} open assignments")

shoppers = []
for n in range(math.ceil(count / 1000)):
    email = f"bench-shopper{n}@demo-motors.example.com"
    call("POST", "/v1/users", admin, {"email": email, "display_name": f"Bench {n}", "role": "shopper",
                                      "password": "bench-password-123"})
    shoppers.append(login(email, "bench-password-123"))


def accept(job_and_token):
    (assignment, _), token = job_and_token
    call("POST", f"/v1/assignments/{assignment}/accept", token, {})


# Shoppers take turns, as concurrent submissions come from different phones (and as the raw
# replay, in submission id order, interleaves them): one shopper's burst would queue every
# connection on that shopper's reputation row, a contention real traffic does not have.
pairs = [(job, shoppers[i % len(shoppers)]) for i, job in enumerate(jobs)]
with futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(accept, pairs))


def answer(item):
    kind = item["type"]
    if item.get("allow_na") and random.random() < 0.1:
        return {"na": True, "comment": "No door at this branch."}
    if kind == "yes_no":
        return {"value": random.random() < 0.8}
    if kind == "scale":
        return {"value": random.randint(1, 5)}
    if kind == "number":
        return {"value": random.randint(5, 60)}
    if kind == "choice":
        return {"value": random.choice(["full", "full", "some", "none"])}
    if kind == "text":
        return {"value": "The advisor was friendly but busy with another customer."}
    return {"value": (now - dt.timedelta(minutes=20)).isoformat()}


approvals = open(out_file + ".approve", "w") if spread_days else None
with open(out_file, "w") as out:
    for (assignment, location), token in pairs:
        lat, lon = locations[location]
        ago = dt.timedelta(days=random.randint(0, spread_days)) if spread_days else dt.timedelta(0)
        body = {
            "assignment_id": assignment,
            "answers": {item["key"]: answer(item) for item in items},
            "visit_start": (now - ago - dt.timedelta(minutes=40)).isoformat(),
            "visit_end": (now - ago - dt.timedelta(minutes=10)).isoformat(),
            "sent_at": now.isoformat(),
            "position": {"latitude": lat + 0.0002, "longitude": lon, "accuracy_m": 8},
            "narrative": "Greeted after a short wait; the consultation was thorough.",
            "device": "Pixel 8", "app_version": "1.4.2",
        }
        submission = uuid.uuid4()
        out.write(f"/v1/submissions/{submission}/submit\t{token}\t{json.dumps(body)}\n")
        if approvals:
            # A fresh submission is version 1.
            approvals.write(f"/v1/submissions/{submission}/approve\t{manager}\t{{}}\t\"1\"\n")
print(f"prepared {len(pairs)} accepted assignments for {len(shoppers)} shoppers", file=sys.stderr)
