#!/usr/bin/env python3
"""The photo benchmark's two halves (see bench/photos.sh).

    bench/photos.py draw DIR COUNT
        COUNT distinct 1600 × 1200 JPEGs (quality 85) into DIR.
    bench/photos.py upload BASE CREDENTIALS JOBS_TSV DIR THREADS HASHING
        Saves a draft for each prepared job of JOBS_TSV (bench/ingest_prep.py), uploads one photo
        of DIR into each from THREADS clients, and prints one JSON line: uploads per second and,
        when HASHING is true, photos hashed per second until none is pending.
"""
import concurrent.futures as futures
import json
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from benchlib import Api  # noqa: E402


def draw(directory, count):
    from PIL import Image, ImageDraw, ImageFilter
    os.makedirs(directory, exist_ok=True)
    for i in range(count):
        rng = random.Random(i)
        img = Image.effect_noise((400, 300), 60).convert("RGB").resize((1600, 1200))
        d = ImageDraw.Draw(img)
        for _ in range(12):
            x, y = rng.randrange(1600), rng.randrange(1200)
            r = rng.randrange(60, 400)
            d.ellipse((x - r, y - r, x + r, y + r),
                      fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        img.filter(ImageFilter.GaussianBlur(3)).save(os.path.join(directory, f"{i:05}.jpg"), quality=85)


def upload(base, credentials, jobs_tsv, directory, threads, hashing):
    api = Api(base, credentials)
    jobs = []
    for line in open(jobs_tsv):
        path, token, body = line.rstrip("\n").split("\t")
        jobs.append((path.removesuffix("/submit"), token, json.loads(body)))
    photos = sorted(os.listdir(directory))[: len(jobs)]

    def draft(job):
        path, token, body = job
        api.call("PUT", path, token, body)

    with futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(draft, jobs))
    payloads = [open(os.path.join(directory, p), "rb").read() for p in photos]

    def send(i):
        path, token, _ = jobs[i]
        api.call("PUT", f"{path}/attachments/{uuid.uuid4()}", token, raw=payloads[i],
                 headers={"content-type": "image/jpeg"})

    manager = api.login("manager@demo-motors.example.com")
    started = time.monotonic()
    with futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(len(payloads))))
    uploaded = time.monotonic() - started
    result = {"uploads": len(payloads), "seconds": round(uploaded, 2),
              "uploads_per_second": round(len(payloads) / uploaded, 1),
              "megabytes_per_second": round(sum(map(len, payloads)) / uploaded / 1e6, 1)}
    if hashing == "true":
        # Wait until every photo is analysed: the worker takes the oldest first, so each draft
        # is looked at until it is done, in upload order (a few hundred requests in all).
        pending = list(range(len(jobs)))
        while pending:
            _, s = api.call("GET", jobs[pending[0]][0], manager)
            if any(a.get("analysis") == "pending" for a in s["attachments"]):
                time.sleep(0.1)
            else:
                pending.pop(0)
        done = time.monotonic() - started
        result["hashed_within_seconds"] = round(done, 2)
        result["hashed_per_second"] = round(len(payloads) / done, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "draw":
        draw(sys.argv[2], int(sys.argv[3]))
    else:
        base, credentials, jobs_tsv, directory, threads, hashing = sys.argv[2:8]
        upload(base, credentials, jobs_tsv, directory, int(threads), hashing)
