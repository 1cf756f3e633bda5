#!/usr/bin/python3
"""webseed_server.py ROOT - a small HTTP server for test_webseed.

Listens on 127.0.0.1 with an ephemeral port, prints the port on the first
line of stdout, and exits when stdin reaches end of file (so it never
outlives the test).  The first path component picks the behaviour:

  /r/PATH    the file ROOT/PATH, honouring "Range: bytes=a-b" (206)
  /n/PATH    the same file, ignoring Range (always 200 with the whole file)
  /z/PATH    as /r/, after sleeping 1.5 s (timeouts, cancels)
  /e/CODE/PATH  status CODE (e.g. 404, 503) with a short body
  /short/PATH   as /r/, but 206 with only the first half of the range
  /cut/PATH     as /r/, but the connection closes half way through the
                body its Content-Length announces
  /endless/PATH 206 without a Content-Length, then bytes until the client
                hangs up (at most 64 MiB)
  /loop/PATH    302 to itself, forever
  /s/PLEN/HEX/BUSY/PATH?info_hash=..&piece=N[&ranges=a-b,...]
             BEP 17: ROOT/PATH holds the torrent's bytes in pieces of PLEN;
             info_hash must be the 20 bytes HEX; the first BUSY requests
             to this URL path are answered 503 with body "1"

PATH is percent-decoded to bytes, so names need not be ASCII.  With
WEBSEED_LOG set in the environment, requests are logged to stderr."""

import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.fsencode(os.path.realpath(sys.argv[1]))
busy_seen = {}
lock = threading.Lock()


def read_file(rel):
    p = os.path.normpath(os.path.join(ROOT, rel))
    if not p.startswith(ROOT) or not os.path.isfile(p):
        return None
    with open(p, "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("WEBSEED_LOG"):
            sys.stderr.write("%s %s\n" % (fmt % args, self.headers.get("Range", "")))

    def reply(self, status, body, extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        raw = urllib.parse.unquote_to_bytes(path)
        parts = raw.split(b"/", 2)
        if len(parts) < 3:
            return self.reply(404, b"no mode")
        mode, rest = parts[1], parts[2]
        if mode == b"s":
            return self.bep17(path, rest, query)
        if mode == b"e":
            code, _, rest = rest.partition(b"/")
            return self.reply(int(code), b"error")
        if mode == b"loop":
            return self.reply(302, b"", [("Location", path)])
        if mode == b"endless":
            return self.endless()
        if mode == b"z":
            time.sleep(1.5)
        data = read_file(rest)
        if data is None:
            return self.reply(404, b"not found")
        rng = self.headers.get("Range")
        if mode == b"n" or not rng:
            return self.reply(200, data)
        if not rng.startswith("bytes=") or "," in rng:
            return self.reply(400, b"bad range")
        a, _, b = rng[6:].partition("-")
        a = int(a)
        b = int(b) if b else len(data) - 1
        if a >= len(data) or b < a:
            return self.reply(416, b"", [("Content-Range", "bytes */%d" % len(data))])
        b = min(b, len(data) - 1)
        if mode == b"short":
            return self.reply(206, data[a:a + (b + 1 - a) // 2])
        if mode == b"cut":
            body = data[a:b + 1]
            self.send_response(206)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        return self.reply(206, data[a:b + 1],
                          [("Content-Range", "bytes %d-%d/%d" % (a, b, len(data)))])

    def endless(self):
        self.send_response(206)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(1024):
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def bep17(self, path, rest, query):
        try:
            plen, hexhash, busy, rel = rest.split(b"/", 3)
            plen, busy = int(plen), int(busy)
        except ValueError:
            return self.reply(404, b"bad seed path")
        with lock:
            n = busy_seen.get(path, 0)
            busy_seen[path] = n + 1
        if n < busy:
            return self.reply(503, b"1")
        q = {}
        for item in query.split("&"):
            k, _, v = item.partition("=")
            q[k] = urllib.parse.unquote_to_bytes(v)
        data = read_file(rel)
        if data is None:
            return self.reply(404, b"not found")
        if q.get("info_hash") != bytes.fromhex(hexhash.decode()):
            return self.reply(400, b"bad info_hash")
        piece = int(q["piece"])
        pd = data[piece * plen:(piece + 1) * plen]
        if piece < 0 or not pd:
            return self.reply(400, b"bad piece")
        if "ranges" not in q:
            return self.reply(200, pd)
        out = []
        for r in q["ranges"].decode().split(","):
            a, _, b = r.partition("-")
            a, b = int(a), int(b)
            if a > b or b >= len(pd):
                return self.reply(400, b"bad range")
            out.append(pd[a:b + 1])
        return self.reply(200, b"".join(out))


def watch_stdin():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda request, address: None  # clients hang up
    threading.Thread(target=watch_stdin, daemon=True).start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


main()
