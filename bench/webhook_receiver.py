#!/usr/bin/env python3
"""A webhook receiver for the benchmarks: answers 200 to every POST over keep-alive HTTP/1.1 and
counts them; `GET /count` gives the count. A bare asyncio protocol, so that on a small machine
the receiver takes as little of the CPU the server is measured on as it can. Standard library
only.

    bench/webhook_receiver.py PORT
"""
import asyncio
import sys

count = 0


class Receiver(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        global count
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            if head.startswith("GET"):
                body = str(count).encode()
            else:
                count += 1
                body = b""
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))


async def main():
    server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()


asyncio.run(main())
