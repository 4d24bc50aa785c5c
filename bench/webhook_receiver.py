#!/usr/bin/env python3
"""A webhook receiver for the benchmarks: answers 200 to every POST (HTTP/1.1, keep-alive) and
counts them; `GET /count` gives the count. Standard library only.

    bench/webhook_receiver.py PORT
"""
import http.server
import sys
import threading

count = [0]
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            count[0] += 1
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        body = str(count[0]).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
