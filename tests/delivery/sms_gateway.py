#!/usr/bin/python3
"""A small HTTP SMS gateway for the delivery tests (loopback only).

It binds 127.0.0.1 on a port the kernel picks, prints "PORT <n>" on stdout
and appends one JSON line per request to RECORD: method, path, query,
headers (lower-case names) and body (text). The path picks the answer:

  /ok...        200 with a small JSON body
  /created      201
  /503          503 Service Unavailable with a JSON error body
  /slow         sleeps 30 s before answering (longer than any timeout)
  /huge         200 and an endless body (the client must stop reading)
  /redirect     302 to http://elsewhere.invalid/steal
  /malformed    bytes that are not HTTP at all, then close
It exits on SIGTERM, or when its parent (the test) is gone.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("sms_gateway: " + (fmt % args) + "\n")

    def record(self, body):
        u = urllib.parse.urlsplit(self.path)
        entry = {
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with LOCK:
            with open(self.server.record_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
                f.flush()
        return u.path

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        path = self.record(body)
        if path.startswith("/ok"):
            self.answer(200, '{"sid":"SM0001","status":"queued"}')
        elif path == "/created":
            self.answer(201, '{"id":1}')
        elif path == "/503":
            self.answer(503, '{"error":"try later"}')
        elif path == "/slow":
            time.sleep(30)
            self.answer(200, "{}")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(1600):  # 100 MiB at most
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.invalid/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/malformed":
            self.wfile.write(b"\x00\x01garbage that is not HTTP\r\n\r\n")
            self.close_connection = True
        else:
            self.answer(404, '{"error":"no such path"}')

    do_GET = handle_any
    do_POST = handle_any


def watch_parent(ppid):
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", required=True)
    a = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.record_path = a.record
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
