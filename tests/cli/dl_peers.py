#!/usr/bin/python3
"""dl_peers.py - peers, data and servers for the `bt download` tests
(download*.sh).  Loopback only; every wait is bounded.  Prints "key value"
lines for the shell to check.  Only the commands marked (lt) need
python3-libtorrent.

  data DIR [SMALL]          write the test data set DIR/multi (seeded, so
                            always the same bytes): nested directories, a
                            zero-length file, a file smaller than a piece, a
                            piece (32 KiB) spanning three files; ~2.6 MB,
                            or ~0.6 MB with SMALL=1.  Prints "size N".
  make DIR TORRENT URL [hybrid|v1] [WEBSEED] (lt)
                            the data set plus a torrent of it made by
                            libtorrent (piece size 32 KiB; files in sorted
                            order; hybrid, the default, adds BEP 47 padding
                            files), optionally with a url-list
  seed TORRENT DIR SECS READYFILE [UPKBPS] (lt)
                            seed from DIR; write READYFILE (our port) once
                            seeding and the tracker answered; stop when
                            READYFILE.stop exists or after SECS
  leech TORRENT DIR SECS (lt)
                            download into DIR; prints "done 0|1 SECONDS"
                            and "peers N" (peers ever connected)
  bad PORT TORRENT DATADIR MODE SECS [BINDIP]
                            a raw-socket fake peer (no libtorrent) that
                            connects to 127.0.0.1:PORT from BINDIP
                            (default 127.0.0.2), claims every piece and:
                              corrupt    answers requests with wrong bytes
                                         (has all pieces but the last)
                              cut        answers a few blocks right, then
                                         half a piece message, and hangs up
                                         (several times)
                              malformed  one connection per bad message:
                                         huge length, bad bitfield, HAVE out
                                         of range, unknown id, bad handshake
                              silent     unchokes, never answers a request
                            (one connection, except for cut and malformed);
                            prints what happened ("closed_by_peer N", ...)
  webserver DIR PORTFILE [SECS]
                            HTTP/1.1 server for DIR with single Range
                            requests; writes its port to PORTFILE and one
                            line per request to PORTFILE.log; stops when
                            PORTFILE.stop exists or after SECS (600)
  announces LOG PORT        announces in a `bt track` access log from the
                            client listening on PORT: one line each,
                            "event uploaded downloaded left" (event "-"
                            when absent)
  verify TORRENT DIR        hash the (v1) pieces of TORRENT's data under
                            DIR (DIR/name is the file or directory): prints
                            "good N", "total M", "left BYTES" (of the bad
                            pieces) and "bad i j ..."
  resume FILE TORRENT DIR   the pieces a resume record (FILE: bt's, or
                            BitTornado's "resume data") claims: "claimed N",
                            "claimed_bad K" (claimed pieces whose data in
                            DIR is wrong), "claimed_left BYTES" (the rest)
"""
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse

# Bencode: the tracker tests' decoder (dictionary keys come out as str,
# strings as bytes).
from track_util import bdec

PLEN = 32768


class Torrent:
    def __init__(self, path):
        raw = open(path, "rb").read()
        # The top-level dictionary a key at a time, to find the info
        # value's bytes.
        self.t, i = {}, 1
        while raw[i:i + 1] != b"e":
            k, i = bdec(raw, i)
            start = i
            self.t[k.decode("utf-8", "surrogateescape")], i = bdec(raw, i)
            if k == b"info":
                self.info_hash = hashlib.sha1(raw[start:i]).digest()
        info = self.t["info"]
        self.name = info["name"].decode("utf-8", "surrogateescape")
        self.plen = info["piece length"]
        p = info["pieces"]
        self.hashes = [p[k:k + 20] for k in range(0, len(p), 20)]
        if "files" in info:
            self.files = [(os.path.join(self.name, *[c.decode("utf-8", "surrogateescape")
                                                     for c in f["path"]]),
                           f["length"], b"p" in f.get("attr", b""))
                          for f in info["files"]]
        else:
            self.files = [(self.name, info["length"], False)]
        self.total = sum(f[1] for f in self.files)
        self.npieces = len(self.hashes)

    def data(self, d):
        """The torrent's bytes as found under d (missing parts as zeros)."""
        out = bytearray()
        for path, n, pad in self.files:
            chunk = b""
            if not pad:
                try:
                    with open(os.path.join(d, path), "rb") as f:
                        chunk = f.read(n)
                except OSError:
                    pass
            out += chunk + bytes(n - len(chunk))
        return bytes(out)


# ---- the data set ----
# (path, size): sorted the way BitTornado and mktorrent order a directory,
# so `bt makemetafile` lists them the same way.  Piece 3 (98304..131071)
# spans a.bin, b/c/empty (0 bytes), b/c/small.txt, b/d.bin and big.bin.
def layout(small):
    big = 400000 if small else 2400000
    return [("a.bin", 100000), ("b/c/empty", 0), ("b/c/small.txt", 1000),
            ("b/d.bin", 20000), ("big.bin", big), ("z/tail.bin", 12345)]


def data(d, small="0"):
    r = random.Random(42)
    total = 0
    for rel, n in layout(small == "1"):
        p = os.path.join(d, "multi", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(r.randbytes(n))
        total += n
    print("size", total)
    return 0


def lt_session():
    """The tracker tests' loopback-only libtorrent session, under our own
    user agent."""
    import libtorrent as lt
    from track_lt import session
    s = session()
    s.apply_settings({"user_agent": "bt-download-test/libtorrent"})
    # DLP_ENC=forced: MSE/PE with RC4 only, both ways (plaintext refused).
    if os.environ.get("DLP_ENC") == "forced":
        s.apply_settings({
            "out_enc_policy": int(lt.enc_policy.forced),
            "in_enc_policy": int(lt.enc_policy.forced),
            "allowed_enc_level": int(lt.enc_level.rc4),
        })
    return lt, s


def lt_add(lt, s, torrent, path):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = path
    return s.add_torrent(p)


def make(d, torrent, url, kind="hybrid", webseed=None):
    import libtorrent as lt
    data(d)
    fs = lt.file_storage()
    for rel, n in layout(False):
        fs.add_file(os.path.join("multi", rel), n)
    flags = lt.create_torrent.v1_only if kind == "v1" else 0
    ct = lt.create_torrent(fs, PLEN, flags=flags)
    ct.add_tracker(url)
    if webseed:
        ct.add_url_seed(webseed)
    lt.set_piece_hashes(ct, d)
    with open(torrent, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return 0


def errors_of(lt, alerts, out):
    for a in alerts:
        if isinstance(a, (lt.tracker_error_alert, lt.torrent_error_alert,
                          lt.file_error_alert)):
            out.append(a.message())


def seed(torrent, d, secs, ready, upkbps="0"):
    lt, s = lt_session()
    h = lt_add(lt, s, torrent, d)
    if int(upkbps) > 0:
        # A torrent's own limit holds for local peers too (the session's
        # does not, by default).
        h.set_upload_limit(int(upkbps) * 1000)
    end = time.time() + float(secs)
    replied = flagged = False
    errs = []
    while time.time() < end:
        s.wait_for_alert(200)
        al = s.pop_alerts()
        errors_of(lt, al, errs)
        replied = replied or any(isinstance(a, lt.tracker_reply_alert) for a in al)
        if not flagged and replied and h.status().is_seeding:
            with open(ready + ".tmp", "w") as f:
                f.write("%d\n" % s.listen_port())
            os.rename(ready + ".tmp", ready)
            flagged = True
        if os.path.exists(ready + ".stop"):
            break
    st = h.status()
    print("seeding", int(st.is_seeding))
    print("uploaded", st.all_time_upload)
    for e in errs:
        print("error", e)
    return 0


def leech(torrent, d, secs):
    lt, s = lt_session()
    h = lt_add(lt, s, torrent, d)
    end = time.time() + float(secs)
    t0 = time.time()
    seen = set()
    errs = []
    while time.time() < end:
        s.wait_for_alert(200)
        errors_of(lt, s.pop_alerts(), errs)
        for p in h.get_peer_info():
            seen.add(p.ip)
        if h.status().is_seeding:
            break
    st = h.status()
    print("done", int(st.is_seeding), "%.1f" % (time.time() - t0))
    print("peers", len(seen))
    print("downloaded", st.total_wanted_done, st.total_wanted)
    for e in errs:
        print("error", e)
    return 0


def leech_magnet(uri, d, secs):
    """libtorrent given only a magnet link: the metadata from peers, then
    the data; prints "meta 0|1" besides what leech prints."""
    lt, s = lt_session()
    p = lt.parse_magnet_uri(uri)
    p.save_path = d
    h = s.add_torrent(p)
    end = time.time() + float(secs)
    t0 = time.time()
    errs = []
    while time.time() < end:
        s.wait_for_alert(200)
        errors_of(lt, s.pop_alerts(), errs)
        if h.status().is_seeding:
            break
    st = h.status()
    print("meta", int(st.has_metadata))
    print("done", int(st.is_seeding), "%.1f" % (time.time() - t0))
    for e in errs:
        print("error", e)
    return 0


# ---- a fake peer ----
class Closed(Exception):
    pass


class Wire:
    def __init__(self, port, bindip, tor, timeout=10.0):
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout=5,
                                          source_address=(bindip, 0))
        self.s.settimeout(timeout)
        self.tor = tor
        self.buf = b""

    def send(self, b):
        try:
            self.s.sendall(b)
        except OSError:
            raise Closed()

    def msg(self, mid, payload=b""):
        self.send(struct.pack(">IB", 1 + len(payload), mid) + payload)

    def recv_exact(self, n):
        while len(self.buf) < n:
            try:
                c = self.s.recv(65536)
            except socket.timeout:
                raise
            except OSError:
                raise Closed()
            if not c:
                raise Closed()
            self.buf += c
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def handshake(self, pid=None, proto=b"BitTorrent protocol"):
        pid = pid or b"-ZZ0001-" + bytes(random.choice(b"0123456789") for _ in range(12))
        self.send(bytes([len(proto)]) + proto + bytes(8) + self.tor.info_hash + pid)
        h = self.recv_exact(68)
        if h[28:48] != self.tor.info_hash:
            raise Closed()

    def read_msg(self):
        n = struct.unpack(">I", self.recv_exact(4))[0]
        if n == 0:
            return None, b""
        if n > (1 << 20):
            raise Closed()
        b = self.recv_exact(n)
        return b[0], b[1:]

    def bitfield_all(self, but_last=False):
        n = self.tor.npieces
        bf = bytearray((n + 7) // 8)
        for i in range(n - 1 if but_last else n):
            bf[i // 8] |= 0x80 >> (i % 8)
        self.msg(5, bytes(bf))

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def wait_closed(w, secs):
    """Read (and ignore) until the peer closes: True, or False after secs."""
    end = time.time() + secs
    w.s.settimeout(0.5)
    while time.time() < end:
        try:
            c = w.s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return True
        if not c:
            return True
    return False


def bad(port, torrent, datadir, mode, secs, bindip="127.0.0.2"):
    tor = Torrent(torrent)
    secs = float(secs)
    end = time.time() + secs
    real = tor.data(datadir) if mode == "cut" else None
    rnd = random.Random(7)
    stats = {"connections": 0, "closed_by_peer": 0, "requests": 0,
             "answered": 0, "connect_failed": 0}
    lines = []

    def connect():
        w = Wire(port, bindip, tor)
        stats["connections"] += 1
        return w

    if mode == "malformed":
        cases = [
            ("huge_length", lambda w: w.send(struct.pack(">I", 0x7ffffff0) + b"\x07")),
            ("short_bitfield", lambda w: w.msg(5, b"\xff")),
            ("have_out_of_range", lambda w: (w.bitfield_all(), w.msg(4, struct.pack(">I", tor.npieces + 5)))),
            ("request_too_long", lambda w: (w.msg(2), w.msg(6, struct.pack(">III", 0, 0, 1 << 24)))),
            ("unknown_id", lambda w: (w.bitfield_all(), w.msg(99, b"x" * 10))),
            ("bad_choke_length", lambda w: (w.bitfield_all(), w.msg(1, b"\x00\x00"))),
        ]
        for name, act in cases:
            if time.time() > end:
                break
            try:
                w = connect()
                w.handshake()
                act(w)
                closed = wait_closed(w, 5)
            except (Closed, OSError):
                closed = True
            except socket.timeout:
                closed = False
            lines.append("case %s %s" % (name, "closed" if closed else "open"))
            if closed:
                stats["closed_by_peer"] += 1
            try:
                w.close()
            except NameError:
                pass
        # A wrong protocol string in the handshake: never answered.
        try:
            w = Wire(port, bindip, tor)
            stats["connections"] += 1
            w.send(b"\x13BitTorrent protocoX" + bytes(8) + tor.info_hash + bytes(20))
            closed = wait_closed(w, 5)
        except OSError:
            closed = True
        lines.append("case bad_handshake %s" % ("closed" if closed else "open"))
        w.close()
    else:
        cuts = 0
        while time.time() < end:
            try:
                w = connect()
            except OSError:
                stats["connect_failed"] += 1
                if stats["connect_failed"] > 20:
                    break
                time.sleep(0.5)
                continue
            try:
                w.handshake()
                # corrupt: not a seed, so that bt (once complete) has no
                # reason to drop it but the bad data.
                w.bitfield_all(but_last=(mode == "corrupt"))
                sent = 0
                w.s.settimeout(1.0)
                while time.time() < end:
                    try:
                        mid, pl = w.read_msg()
                    except socket.timeout:
                        continue
                    if mid == 2:
                        w.msg(1)
                    elif mid == 6:
                        i, b, n = struct.unpack(">III", pl)
                        stats["requests"] += 1
                        if mode == "silent":
                            continue
                        if n > 131072:
                            raise Closed()
                        if mode == "corrupt":
                            w.msg(7, struct.pack(">II", i, b) + rnd.randbytes(n))
                            stats["answered"] += 1
                        elif mode == "cut":
                            off = i * tor.plen + b
                            blk = real[off:off + n]
                            if sent < 3:
                                w.msg(7, struct.pack(">II", i, b) + blk)
                                stats["answered"] += 1
                                sent += 1
                            else:
                                whole = struct.pack(">IBII", 9 + n, 7, i, b) + blk
                                w.send(whole[:len(whole) // 2])
                                cuts += 1
                                raise Closed()
            except (Closed, socket.timeout):
                if mode == "cut":
                    w.close()
                    if cuts >= 4:
                        break
                    time.sleep(0.3)
                    continue
                stats["closed_by_peer"] += 1
            w.close()
            break
        stats["cuts"] = cuts
    for k in sorted(stats):
        print(k, stats[k])
    for ln in lines:
        print(ln)
    return 0


# ---- a web server (BEP 19 web seed) ----
def webserver(d, portfile, secs="600"):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    root = os.path.realpath(d)
    log_lock = threading.Lock()
    logf = open(portfile + ".log", "a")

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def note(self, status, n):
            with log_lock:
                logf.write("%s %s %s %d %d\n" % (self.command, self.path,
                                                 self.headers.get("Range", "-").replace(" ", ""),
                                                 status, n))
                logf.flush()

        def reply(self, status, body, extra=(), head=False):
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            self.note(status, 0 if head else len(body))

        def serve(self, head):
            path = urllib.parse.unquote(self.path.split("?", 1)[0])
            p = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if not (p == root or p.startswith(root + os.sep)) or not os.path.isfile(p):
                return self.reply(404, b"not found\n", head=head)
            with open(p, "rb") as f:
                body = f.read()
            rng = self.headers.get("Range")
            if not rng:
                return self.reply(200, body, head=head)
            if not rng.startswith("bytes=") or "," in rng:
                return self.reply(416, b"", [("Content-Range", "bytes */%d" % len(body))], head)
            a, _, b = rng[6:].partition("-")
            try:
                if a == "":
                    a, b = max(0, len(body) - int(b)), len(body) - 1
                else:
                    a, b = int(a), (int(b) if b else len(body) - 1)
            except ValueError:
                return self.reply(400, b"bad range\n", head=head)
            if a >= len(body) or b < a:
                return self.reply(416, b"", [("Content-Range", "bytes */%d" % len(body))], head)
            b = min(b, len(body) - 1)
            return self.reply(206, body[a:b + 1],
                              [("Content-Range", "bytes %d-%d/%d" % (a, b, len(body)))], head)

        def do_GET(self):
            self.serve(False)

        def do_HEAD(self):
            self.serve(True)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    srv.timeout = 0.2
    end = time.time() + float(secs)
    while time.time() < end and not os.path.exists(portfile + ".stop"):
        srv.handle_request()
    srv.server_close()
    return 0


# ---- reading results ----
def announces(log, port):
    want = str(port)
    for line in open(log, errors="replace"):
        if "GET /announce?" not in line:
            continue
        q = line.split("GET /announce?", 1)[1].split(" ", 1)[0]
        kv = urllib.parse.parse_qs(q, keep_blank_values=True)
        if kv.get("port", [""])[0] != want:
            continue
        g = lambda k: kv.get(k, ["-"])[0]
        print(g("event") or "-", g("uploaded"), g("downloaded"), g("left"))
    return 0


def good_pieces(tor, d):
    blob = tor.data(d)
    return [hashlib.sha1(blob[k * tor.plen:(k + 1) * tor.plen]).digest() == tor.hashes[k]
            for k in range(tor.npieces)]


def verify(torrent, d):
    tor = Torrent(torrent)
    ok = good_pieces(tor, d)
    print("good", sum(ok))
    print("total", tor.npieces)
    print("left", sum(min(tor.plen, tor.total - i * tor.plen)
                      for i, g in enumerate(ok) if not g))
    print("bad", " ".join(str(i) for i, g in enumerate(ok) if not g)[:200])
    return 0


def resume(path, torrent, d):
    tor = Torrent(torrent)
    rec, _ = bdec(open(path, "rb").read(), 0)
    rd = rec.get("resume data", rec)
    p = rd.get("pieces", b"")
    if p == 1:
        claimed = list(range(tor.npieces))
    elif isinstance(p, bytes):
        claimed = [i for i in range(tor.npieces)
                   if i // 8 < len(p) and p[i // 8] & (0x80 >> (i % 8))]
    else:
        claimed = []
    ok = good_pieces(tor, d)
    print("claimed", len(claimed))
    print("claimed_bad", sum(1 for i in claimed if not ok[i]))
    print("claimed_left", tor.total - sum(min(tor.plen, tor.total - i * tor.plen)
                                          for i in claimed))
    return 0


def main(argv):
    cmds = {"data": data, "make": make, "seed": seed, "leech": leech,
            "leech_magnet": leech_magnet,
            "bad": bad, "webserver": webserver, "announces": announces,
            "verify": verify, "resume": resume}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
