#!/usr/bin/python3
"""track_util.py - small tools for the `bt track` tests (track*.sh).

Subcommands (all networking is on loopback, every wait is bounded):
  freeport [4|6]            a port free for both TCP and UDP (on 127.0.0.1,
                            or on 127.0.0.1 and ::1 with 6)
  wait PORT [HOST] [SECS]   wait until HOST:PORT accepts TCP (exit 1 if not)
  q FILE EXPR               bdecode FILE (keys are str, strings bytes) into d
                            and print EXPR; helpers: s(b) text, peers(d) sorted
                            "ip:port" list (compact, compact6 or dicts),
                            ports(d) sorted port list, keys(d)
  raw PORT DATA [SECS] [HOST]  send DATA (Python escapes: \\r\\n, \\x00 ...)
                            in one write, read until the server closes or
                            SECS pass; print the reply bytes; on a timeout
                            the last line printed to stderr is TIMEOUT
  rawn PORT N DATA [MORE...]  like raw but stop after N complete replies
                            (split by Content-Length); then send each MORE
                            and wait for one more reply each, on the same
                            connection; print the replies (each followed by
                            a newline), then OPEN or CLOSED
  udp PORT ACTION...        BEP 15 client, see udp_main()
  hash TEXT                 url-encode the 20 bytes sha1(TEXT)[:20]
  status PORT [PATH]        status code of one GET on a new connection (0: none)
  idle PORT N SECS          N idle connections (half with a partial head):
                            is a normal GET served meanwhile; how many did
                            the server close within SECS
  load PORT SECS            keep-alive announces on 8 connections for SECS
  slow PORT DATA DELAY      send DATA a byte at a time; print the status line
  noread PORT N             pipeline N announces, never read the replies
  scrapemany PORT N         announce N torrents, then scrape them all in one
                            GET with every byte percent-encoded; print the
                            status, the entries and the head's size
  bighead PORT N            a head with an N-byte header: print the status
                            line, then eof, reset or timeout
  cap PORT N                with N connections holding a request under way,
                            time a request on one more (503, at once); then
                            with N idle ones, is a request served and how
                            many of them did the server close
  filehog PORT QUERY FILE N K SECS PID
                            N connections each pipeline K GET /file?QUERY
                            and never read; meanwhile download it properly
                            (compare with FILE) and sample PID's VmRSS
"""
import hashlib
import os
import random
import socket
import struct
import sys
import time
import urllib.parse


# ---- bencode ----
def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            v, i = bdec(b, i)
            out[k.decode("utf-8", "surrogateescape")] = v
        return out, i + 1
    if c.isdigit():
        j = b.index(b":", i)
        n = int(b[i:j])
        if j + 1 + n > len(b):
            raise ValueError("truncated string")
        return b[j + 1:j + 1 + n], j + 1 + n
    raise ValueError("bad bencoding at %d" % i)


def decode(b):
    v, end = bdec(b, 0)
    if end != len(b):
        raise ValueError("trailing data")
    return v


def s(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


def peers(d):
    out = []
    p = d.get("peers", b"")
    if isinstance(p, bytes):
        for k in range(0, len(p) - len(p) % 6, 6):
            out.append("%s:%d" % (socket.inet_ntoa(p[k:k + 4]), struct.unpack(">H", p[k + 4:k + 6])[0]))
    else:
        for e in p:
            out.append("%s:%d" % (s(e["ip"]), e["port"]))
    p6 = d.get("peers6", b"")
    for k in range(0, len(p6) - len(p6) % 18, 18):
        out.append("[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, p6[k:k + 16]),
                                struct.unpack(">H", p6[k + 16:k + 18])[0]))
    return sorted(out)


def ports(d):
    return sorted(int(x.rsplit(":", 1)[1]) for x in peers(d))


def show(v):
    if isinstance(v, bytes):
        v = s(v)
    if isinstance(v, str):
        print(v)
    elif isinstance(v, bool):
        print(int(v))
    else:
        print(repr(v))


# ---- sockets ----
def freeport(fam="4"):
    for _ in range(200):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        socks = [t]
        try:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(u)
            u.bind(("127.0.0.1", port))
            if fam == "6":
                for ty in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    x = socket.socket(socket.AF_INET6, ty)
                    socks.append(x)
                    x.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    x.bind(("::1", port))
            return port
        except OSError:
            continue
        finally:
            for x in socks:
                x.close()
    raise SystemExit("no free port")


def wait(port, host="127.0.0.1", secs=5.0):
    end = time.time() + secs
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.time() < end:
        c = socket.socket(fam)
        c.settimeout(0.5)
        try:
            c.connect((host, port))
            c.close()
            return 0
        except OSError:
            c.close()
            time.sleep(0.05)
    return 1


def unescape(data):
    return data.encode("latin-1").decode("unicode_escape").encode("latin-1")


def connect(port, host="127.0.0.1", secs=5.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam)
    c.settimeout(secs)
    c.connect((host, port))
    return c


def raw(port, data, secs=5.0, host="127.0.0.1"):
    c = connect(port, host, secs)
    end = time.time() + secs
    try:
        c.sendall(data)
    except OSError as e:
        sys.stderr.write("send: %s\n" % e)
    out = b""
    timed_out = False
    while True:
        left = end - time.time()
        if left <= 0:
            timed_out = True
            break
        c.settimeout(left)
        try:
            b = c.recv(65536)
        except socket.timeout:
            timed_out = True
            break
        except OSError as e:
            sys.stderr.write("recv: %s\n" % e)
            break
        if not b:
            break
        out += b
    c.close()
    sys.stdout.buffer.write(out)
    if timed_out:
        sys.stderr.write("TIMEOUT\n")
    return 0


def split_replies(buf):
    """Complete HTTP replies at the start of buf, and the rest."""
    out = []
    while True:
        h = buf.find(b"\r\n\r\n")
        if h < 0:
            return out, buf
        head = buf[:h].decode("latin-1")
        n = 0
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
        if len(buf) < h + 4 + n:
            return out, buf
        out.append(buf[:h + 4 + n])
        buf = buf[h + 4 + n:]


def rawn(port, n, data, secs=5.0, then=()):
    """Send data, wait for n replies; then for each item of then, send it
    and wait for one more reply (same connection)."""
    c = connect(port, "127.0.0.1", secs)
    end = time.time() + secs
    c.sendall(data)
    buf = b""
    reps = []
    state = "OPEN"
    then = list(then)
    while time.time() < end:
        if len(reps) >= n:
            if not then:
                break
            try:
                c.sendall(then.pop(0))
            except OSError:
                state = "CLOSED"
                break
            n += 1
        c.settimeout(max(0.01, end - time.time()))
        try:
            b = c.recv(65536)
        except socket.timeout:
            break
        except OSError:
            state = "CLOSED"
            break
        if not b:
            state = "CLOSED"
            break
        buf += b
        reps, _ = split_replies(buf)
    if state == "OPEN":
        # Closed right after the last reply?
        c.settimeout(0.3)
        try:
            if c.recv(1) == b"":
                state = "CLOSED"
        except socket.timeout:
            pass
        except OSError:
            state = "CLOSED"
    c.close()
    for r in reps:
        sys.stdout.buffer.write(r)
        sys.stdout.buffer.write(b"\n")
    print(state)
    return 0


# ---- UDP tracker protocol (BEP 15) ----
MAGIC = 0x41727101980


def udp_sock(host, secs=2.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(secs)
    return u


def udp_xchg(u, addr, pkt, tries=3):
    for _ in range(tries):
        u.sendto(pkt, addr)
        try:
            data, _ = u.recvfrom(65536)
            return data
        except socket.timeout:
            continue
    return None


def udp_connect(u, addr):
    tid = random.getrandbits(32)
    r = udp_xchg(u, addr, struct.pack(">QII", MAGIC, 0, tid))
    if not r or len(r) < 16:
        raise SystemExit("no connect reply")
    action, rtid, cid = struct.unpack(">IIQ", r[:16])
    if action != 0 or rtid != tid:
        raise SystemExit("bad connect reply %r" % r)
    return cid


def udp_main(args):
    """udp PORT HOST CMD...
      connect                       print the connection id
      announce HASH ID PORT LEFT EVENT NUMWANT
                                    HASH/ID are 20 ASCII chars; EVENT 0-3;
                                    print "action interval leechers seeders
                                    peer,peer,..." (or "error MSG")
      scrape HASH...                print "c d i" per hash (HASH: 20 ASCII
                                    characters or 40 hex digits)
      forged                        announce with a made-up connection id:
                                    print "action tid_ok message"
      garbage N SEED                send N random packets (sizes 0-2000),
                                    print how many got an answer
    """
    port, host, cmd = int(args[0]), args[1], args[2]
    addr = (host, port)
    u = udp_sock(host)
    if cmd == "connect":
        print(udp_connect(u, addr))
        return 0
    if cmd == "garbage":
        n, seed = int(args[3]), int(args[4])
        r = random.Random(seed)
        answered = 0
        u.settimeout(0.3)
        for k in range(n):
            size = r.choice([0, 1, 8, 15, 16, 17, 98, 99, r.randrange(0, 2000)])
            pkt = bytes(r.getrandbits(8) for _ in range(size))
            if size >= 12 and k % 3 == 0:
                # valid magic, random action: exercises the parser
                pkt = struct.pack(">Q", MAGIC) + pkt[8:]
            u.sendto(pkt, addr)
            if k % 50 == 49:
                time.sleep(0.005)	# do not just overflow the socket buffer
        try:
            while True:
                u.recvfrom(65536)
                answered += 1
        except (socket.timeout, BlockingIOError):
            pass
        print(answered)
        return 0
    if cmd == "forged":
        tid = 0x12345678
        cid = random.getrandbits(64)
        pkt = struct.pack(">QII20s20sQQQIIIiH", cid, 1, tid, b"h" * 20, b"p" * 20,
                          0, 100, 0, 2, 0, 7, -1, 6881)
        r = udp_xchg(u, addr, pkt)
        if r is None:
            print("none")
        else:
            action, rtid = struct.unpack(">II", r[:8])
            print(action, int(rtid == tid), r[8:].decode("latin-1"))
        return 0
    cid = udp_connect(u, addr)
    fam6 = ":" in host
    if cmd == "announce":
        h, pid, pport, left, ev, want = args[3], args[4], int(args[5]), int(args[6]), int(args[7]), int(args[8])
        tid = random.getrandbits(32)
        pkt = struct.pack(">QII20s20sQQQIIIiH", cid, 1, tid, h.encode(), pid.encode(),
                          0, left, 0, ev, 0, random.getrandbits(32), want, pport)
        r = udp_xchg(u, addr, pkt)
        if r is None:
            print("none")
            return 1
        action, rtid = struct.unpack(">II", r[:8])
        if rtid != tid:
            print("bad tid")
            return 1
        if action == 3:
            print("error", r[8:].decode("latin-1"))
            return 0
        interval, leech, seed = struct.unpack(">III", r[8:20])
        rec = 18 if fam6 else 6
        ps = []
        body = r[20:]
        for k in range(0, len(body) - len(body) % rec, rec):
            if fam6:
                ip = "[%s]" % socket.inet_ntop(socket.AF_INET6, body[k:k + 16])
            else:
                ip = socket.inet_ntoa(body[k:k + 4])
            ps.append("%s:%d" % (ip, struct.unpack(">H", body[k + rec - 2:k + rec])[0]))
        extra = "" if len(body) % rec == 0 else " trailing=%d" % (len(body) % rec)
        print(action, interval, leech, seed, ",".join(sorted(ps)) or "-", extra)
        return 0
    if cmd == "scrape":
        hs = args[3:]
        tid = random.getrandbits(32)
        pkt = struct.pack(">QII", cid, 2, tid) + b"".join(
            bytes.fromhex(x) if len(x) == 40 else x.encode() for x in hs)
        r = udp_xchg(u, addr, pkt)
        if r is None:
            print("none")
            return 1
        action, rtid = struct.unpack(">II", r[:8])
        if action != 2 or rtid != tid:
            print("bad", action, r[8:])
            return 1
        for k in range(len(hs)):
            c, d, i = struct.unpack(">III", r[8 + 12 * k:20 + 12 * k])
            print(c, d, i)
        return 0
    raise SystemExit("unknown udp command " + cmd)


# ---- load and abuse ----
def announce_req(port_base, k, host="x"):
    h = hashlib.sha1(b"load%d" % (k % 50)).digest()
    pid = b"-LD0001-" + (b"%012d" % k)
    q = "info_hash=%s&peer_id=%s&port=%d&left=%d&compact=1" % (
        urllib.parse.quote_from_bytes(h), pid.decode(), port_base + k % 5000, k % 2 * 1000)
    return ("GET /announce?%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (q, host)).encode()


def status_of(port, path="/stats", secs=5.0):
    """One GET on a fresh connection; the status code or 0."""
    try:
        c = connect(port, "127.0.0.1", secs)
        c.sendall(("GET %s HTTP/1.0\r\n\r\n" % path).encode())
        b = c.recv(64)
        c.close()
        return int(b.split()[1]) if b.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError, IndexError):
        return 0


def idle(port, n, secs):
    """Open n connections (half of them send a partial head), check that
    a normal request is still served, hold them secs seconds, then count
    how many the server has closed."""
    conns = []
    t0 = time.time()
    for k in range(n):
        if time.time() - t0 > 20:
            break
        try:
            c = connect(port, "127.0.0.1", 3)
        except OSError as e:
            print("connect_failed", k, e)
            break
        if k % 2:
            c.sendall(b"GET /announce?info")
        conns.append(c)
    print("opened", len(conns))
    print("served_while_open", status_of(port))
    time.sleep(float(secs))
    closed = 0
    for c in conns:
        c.setblocking(False)
        try:
            if c.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        c.close()
    print("closed_by_server", closed)
    print("served_after", status_of(port))
    return 0


def load(port, secs, conns=8):
    """Keep-alive announces on several connections for secs seconds."""
    import selectors
    sel = selectors.DefaultSelector()
    end = time.time() + float(secs)
    done = 0
    k = 0
    socks = []
    for _ in range(int(conns)):
        try:
            c = connect(port, "127.0.0.1", 2)
        except OSError:
            continue
        c.setblocking(False)
        c.send(announce_req(20000, k))
        k += 1
        sel.register(c, selectors.EVENT_READ)
        socks.append(c)
    while time.time() < end and socks:
        for key, _ in sel.select(0.2):
            c = key.fileobj
            try:
                b = c.recv(65536)
            except OSError:
                b = b""
            if not b:
                sel.unregister(c)
                c.close()
                socks.remove(c)
                continue
            done += b.count(b"HTTP/1.1 200")
            try:
                c.send(announce_req(20000, k))
            except OSError:
                pass
            k += 1
    for c in socks:
        c.close()
    print("replies", done)
    return 0


def slow(port, req, delay):
    """Send req one byte at a time, delay seconds apart; print the status."""
    c = connect(port, "127.0.0.1", 10)
    for b in req:
        c.send(bytes([b]))
        time.sleep(float(delay))
    c.settimeout(5)
    r = c.recv(65536)
    c.close()
    print(r.split(b"\r\n")[0].decode("latin-1"))
    return 0


def noread(port, n):
    """Pipeline n announces in one stream and never read a reply; then
    report whether the server is still up for others."""
    c = connect(port, "127.0.0.1", 5)
    c.setblocking(False)
    data = b"".join(announce_req(30000, k) for k in range(int(n)))
    sent = 0
    end = time.time() + 5
    while sent < len(data) and time.time() < end:
        try:
            sent += c.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    print("sent_bytes", sent)
    print("served_meanwhile", status_of(port))
    c.close()
    return 0


class Replies:
    """Replies read one at a time from a connection."""

    def __init__(self, c):
        self.c = c
        self.buf = b""

    def next(self, secs=10.0):
        """(status, headers dict, body); status 0 on failure."""
        end = time.time() + secs
        while time.time() < end:
            reps, _ = split_replies(self.buf)
            if reps:
                r = reps[0]
                self.buf = self.buf[len(r):]
                h = r.index(b"\r\n\r\n")
                lines = r[:h].decode("latin-1").split("\r\n")
                hdrs = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    hdrs[k.strip().lower()] = v.strip()
                return int(lines[0].split()[1]), hdrs, r[h + 4:]
            self.c.settimeout(max(0.01, end - time.time()))
            try:
                b = self.c.recv(1 << 20)
            except OSError:
                break
            if not b:
                break
            self.buf += b
        return 0, {}, b""


def read_reply(c, secs=10.0):
    return Replies(c).next(secs)


def scrapemany(port, n):
    hashes = [hashlib.sha1(b"many%d" % k).digest() for k in range(n)]
    c = connect(port, "127.0.0.1", 10)
    rd = Replies(c)
    for k0 in range(0, n, 50):
        batch = hashes[k0:k0 + 50]
        c.sendall(b"".join(
            ("GET /announce?info_hash=%s&peer_id=-MN0001-%012d&port=%d&left=1&compact=1 HTTP/1.1\r\n"
             "Host: x\r\n\r\n" % (urllib.parse.quote_from_bytes(h), k0 + j, 10000 + k0 + j)).encode()
            for j, h in enumerate(batch)))
        for _ in batch:
            st, _, _ = rd.next()
            if st != 200:
                print("announce_failed", st)
                return 1
    c.close()
    q = "&".join("info_hash=" + "".join("%%%02X" % b for b in h) for h in hashes)
    head = ("GET /scrape?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: track_util\r\n"
            "Accept: */*\r\n\r\n" % q).encode()
    c = connect(port, "127.0.0.1", 10)
    c.sendall(head)
    st, _, body = read_reply(c)
    c.close()
    print("head_bytes", len(head))
    print("status", st)
    try:
        files = decode(body)["files"]
        print("entries", len(files))
        names = sorted(k.encode("utf-8", "surrogateescape") for k in files)
        print("all_named", int(names == sorted(hashes)))
    except (ValueError, KeyError, IndexError, TypeError):
        print("body", body[:100])
    return 0


def cap(port, n):
    held = []
    for _ in range(n):
        c = connect(port, "127.0.0.1", 3)
        c.sendall(b"GET /st")
        held.append(c)
    time.sleep(0.2)
    t0 = time.time()
    c = connect(port, "127.0.0.1", 5)
    c.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
    st, hdrs, body = read_reply(c, 5)
    try:
        eof = c.recv(1) == b""
    except OSError:
        eof = False
    print("busy_status", st)
    print("busy_fast", int(time.time() - t0 < 1.0))
    print("busy_close", int(hdrs.get("connection") == "close" and eof))
    print("busy_body", body.decode("latin-1"))
    c.close()
    # the connections under way are not disturbed: finish one
    held[0].sendall(b"ats HTTP/1.0\r\n\r\n")
    st, _, _ = read_reply(held[0], 5)
    print("held_served", st)
    for c in held:
        c.close()
    time.sleep(0.2)
    idle = [connect(port, "127.0.0.1", 3) for _ in range(n)]
    time.sleep(0.2)
    print("served_at_cap", status_of(port))
    time.sleep(0.2)
    shed = 0
    for c in idle:
        c.setblocking(False)
        try:
            if c.recv(1) == b"":
                shed += 1
        except BlockingIOError:
            pass
        except OSError:
            shed += 1
        c.close()
    print("idle_shed", shed)
    return 0


def bighead(port, n):
    """A head with an n-byte header in one write; print the status line
    and how the stream ended (eof or reset)."""
    c = connect(port, "127.0.0.1", 5)
    try:
        c.sendall(b"GET /announce HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * n + b"\r\n\r\n")
    except OSError as e:
        print("send_error", e)
    out = b""
    end = "timeout"
    try:
        while True:
            b = c.recv(65536)
            if not b:
                end = "eof"
                break
            out += b
    except socket.timeout:
        pass
    except OSError:
        end = "reset"
    c.close()
    print(out.split(b"\r\n")[0].decode("latin-1"))
    print(end)
    return 0


def vmrss(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def filehog(port, query, path, n, k, secs, pid):
    want = open(path, "rb").read()
    before = vmrss(pid)
    peak = before
    hogs = []
    req = ("GET /file?%s HTTP/1.1\r\nHost: x\r\n\r\n" % query).encode()
    for _ in range(n):
        c = connect(port, "127.0.0.1", 5)
        c.sendall(req * k)
        hogs.append(c)
    end = time.time() + secs
    good = 0
    while time.time() < end:
        peak = max(peak, vmrss(pid))
        if not good:
            c = connect(port, "127.0.0.1", 10)
            c.sendall(req)
            st, _, body = read_reply(c, 10)
            c.close()
            good = int(st == 200 and body == want)
        time.sleep(0.05)
    peak = max(peak, vmrss(pid))
    for c in hogs:
        c.close()
    print("rss_before_kb", before)
    print("rss_growth_kb", peak - before)
    print("good_download", good)
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "freeport":
        print(freeport(argv[2] if len(argv) > 2 else "4"))
        return 0
    if cmd == "wait":
        return wait(int(argv[2]), argv[3] if len(argv) > 3 else "127.0.0.1",
                    float(argv[4]) if len(argv) > 4 else 5.0)
    if cmd == "q":
        raw_b = open(argv[2], "rb").read()
        try:
            d = decode(raw_b)
        except (ValueError, IndexError) as e:
            print("not bencoded (%s): %r" % (e, raw_b[:160]))
            return 1
        env = {"d": d, "s": s, "peers": peers, "ports": ports, "raw": raw_b,
               "keys": lambda x: sorted(x)}
        try:
            show(eval(argv[3], env))
        except Exception as e:
            print("%s: %s in %r" % (type(e).__name__, e, raw_b[:160]))
            return 1
        return 0
    if cmd == "raw":
        return raw(int(argv[2]), unescape(argv[3]), float(argv[4]) if len(argv) > 4 else 5.0,
                   argv[5] if len(argv) > 5 else "127.0.0.1")
    if cmd == "rawn":
        return rawn(int(argv[2]), int(argv[3]), unescape(argv[4]), 5.0,
                    [unescape(x) for x in argv[5:]])
    if cmd == "udp":
        return udp_main(argv[2:])
    if cmd == "idle":
        return idle(int(argv[2]), int(argv[3]), argv[4])
    if cmd == "load":
        return load(int(argv[2]), argv[3])
    if cmd == "slow":
        return slow(int(argv[2]), unescape(argv[3]), argv[4])
    if cmd == "noread":
        return noread(int(argv[2]), argv[3])
    if cmd == "scrapemany":
        return scrapemany(int(argv[2]), int(argv[3]))
    if cmd == "bighead":
        return bighead(int(argv[2]), int(argv[3]))
    if cmd == "cap":
        return cap(int(argv[2]), int(argv[3]))
    if cmd == "filehog":
        return filehog(int(argv[2]), argv[3], argv[4], int(argv[5]), int(argv[6]),
                       float(argv[7]), argv[8])
    if cmd == "status":
        print(status_of(int(argv[2]), argv[3] if len(argv) > 3 else "/stats"))
        return 0
    if cmd == "hash":
        return print(urllib.parse.quote_from_bytes(hashlib.sha1(argv[2].encode()).digest())) or 0
    raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
