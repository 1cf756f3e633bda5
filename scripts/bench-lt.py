#!/usr/bin/python3
"""bench-lt.py - the libtorrent (python3-libtorrent) side of bench-download.sh.

Usage:
    bench-lt.py seed TORRENT DIR PORT        seed DIR's complete data on
        127.0.0.1:PORT; prints "seeding" once the data is checked, runs until
        SIGTERM/SIGINT
    bench-lt.py leech TORRENT DIR HOST:PORT  download into DIR from the peer
        at HOST:PORT; prints "done SECONDS" when every piece has passed its
        hash check (seconds since the session started), "timeout" after
        BENCH_LT_TIMEOUT seconds (default 600), and exits
    bench-lt.py infohash TORRENT             print the v1 info hash, URL-quoted
    bench-lt.py retracker TORRENT OUT URL    write TORRENT to OUT with its
        announce URL replaced by URL (the info dictionary is untouched, so the
        info hash is the same)

Settings (see settings() below) are the ones that let libtorrent 2.0 run at
full speed on loopback.  Tried and left at their defaults, as they changed
nothing measurable here: the high_performance_seed() send buffer and disk
queue sizes (send_not_sent_low_watermark, send_buffer_watermark,
max_queued_disk_bytes, max_out_request_queue), disk_write_mode pwrite
instead of mmap, hashing_threads and aio_threads 2.  BENCH_LT_SET="name=value,..." overrides any of them
(values: int, True/False or string), to measure one setting's effect.
"""
import os
import signal
import sys
import time
import urllib.parse

import libtorrent as lt


def settings():
    s = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # Every peer here is 127.0.0.1.
        "allow_multiple_connections_per_ip": True,
        # TCP only.  libtorrent tries uTP first on every outgoing connection
        # (a new peer is assumed to support it), and uTP, congestion-
        # controlled by measured delay in user space, carries a fraction of
        # what TCP does over loopback: 512 MiB libtorrent -> libtorrent took
        # 81 s over uTP and 7 s over TCP on a busy 2-core machine.  Against
        # bt and aria2 (no uTP) it falls back to TCP after the first try.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # No encryption handshake attempts or RC4.
        "out_enc_policy": 2,  # pe_disabled
        "in_enc_policy": 2,
        # Only the alerts the harness waits for.
        "alert_mask": lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification,
    }
    for item in filter(None, os.environ.get("BENCH_LT_SET", "").split(",")):
        k, v = item.split("=", 1)
        if v in ("True", "False"):
            v = v == "True"
        else:
            try:
                v = int(v)
            except ValueError:
                pass
        s[k] = v
    return s


def add(ses, torrent, path):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = path
    p.trackers = []  # the harness tells it whom to talk to
    return ses.add_torrent(p)


def wait_for(ses, h, cond, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                print("error", a.message(), flush=True)
        if cond(h.status()):
            return True
        ses.wait_for_alert(100)
    return cond(h.status())


def seed(torrent, path, port):
    s = settings()
    s["listen_interfaces"] = "127.0.0.1:%d" % port
    ses = lt.session(s)
    h = add(ses, torrent, path)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if not wait_for(ses, h, lambda st: st.is_seeding, 600):
        print("not seeding", flush=True)
        return 1
    print("seeding port %d" % ses.listen_port(), flush=True)
    while not stop:
        ses.wait_for_alert(200)
        ses.pop_alerts()
    return 0


def leech(torrent, path, peer):
    t0 = time.monotonic()
    ses = lt.session(settings())
    h = add(ses, torrent, path)
    host, port = peer.rsplit(":", 1)
    h.connect_peer((host, int(port)))
    secs = float(os.environ.get("BENCH_LT_TIMEOUT", "600"))
    # is_finished turns true once every wanted piece passed its hash check;
    # torrent_finished_alert wakes wait_for_alert at that moment.
    if wait_for(ses, h, lambda st: st.is_finished, secs):
        print("done %.3f" % (time.monotonic() - t0), flush=True)
        return 0
    print("timeout", flush=True)
    return 1


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "seed" and len(argv) == 5:
        return seed(argv[2], argv[3], int(argv[4]))
    if cmd == "leech" and len(argv) == 5:
        return leech(argv[2], argv[3], argv[4])
    if cmd == "infohash" and len(argv) == 3:
        ih = lt.torrent_info(argv[2]).info_hash()
        print(urllib.parse.quote(bytes.fromhex(str(ih))))
        return 0
    if cmd == "retracker" and len(argv) == 5:
        with open(argv[2], "rb") as f:
            d = lt.bdecode(f.read())
        d[b"announce"] = argv[4].encode()
        d.pop(b"announce-list", None)
        with open(argv[3], "wb") as f:
            f.write(lt.bencode(d))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
