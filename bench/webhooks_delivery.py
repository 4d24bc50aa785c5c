#!/usr/bin/env python3
"""Webhook delivery rate: registers an endpoint at the receiver (bench/webhook_receiver.py),
plans waves of assignments (one `assignment.created` event each, written in the waves'
transactions), and times until the receiver has them all. Prints one JSON line.

    bench/webhooks_delivery.py BASE_URL CREDENTIALS_FILE RECEIVER_PORT EVENTS
"""
import http.client
import json
import sys
import time
import datetime as dt

from benchlib import Api

base, credentials, port, events = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
api = Api(base, credentials)
admin = api.login("admin@demo-motors.example.com")
manager = api.login("manager@demo-motors.example.com")


def received():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/count")
    return int(conn.getresponse().read())


document = {
    "format": "shopgap.checklist/v1", "name": "Hooks", "channel": "in_person",
    "sections": [{"title": "All", "items": [
        {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "HK-1"}]}],
    "standards_book": {"format": "shopgap.standards_book/v1", "name": "Hooks book", "principles": [],
                       "protocols": [], "standards": [{"code": "HK-1", "text": "Greet", "dimension": "empathy",
                                                       "channels": ["in_person"], "target": 0.9}]},
}
_, version = api.call("POST", "/v1/checklists/import?publish=true", manager, document)
locations = list(api.import_locations(manager, "HK"))
api.call("POST", "/v1/webhooks", admin, {"url": f"http://127.0.0.1:{port}/hooks",
                                         "event_types": ["assignment.created"]})
before = received()
now = dt.datetime.now(dt.timezone.utc)
started = time.time()
planned = 0
while planned < events:  # a wave holds at most 100 shops per location
    per_location = min(100, -(-(events - planned) // len(locations)))
    _, wave = api.call("POST", "/v1/waves", manager, {
        "checklist_version_id": version["id"], "location_ids": locations,
        "shops_per_location": per_location, "window_start": now.isoformat(),
        "window_end": (now + dt.timedelta(days=30)).isoformat()})
    planned += wave["created"]
planned_in = time.time() - started
while received() - before < planned:
    if time.time() - started > 600:
        raise SystemExit(f"only {received() - before} of {planned} events arrived in 10 minutes")
    time.sleep(0.05)
seconds = time.time() - started
print(json.dumps({"events": planned, "seconds": round(seconds, 2), "planning_seconds": round(planned_in, 2),
                  "per_second": round(planned / seconds, 1)}))
