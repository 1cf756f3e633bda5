#!/usr/bin/python3
"""track_lt.py - libtorrent peers for track_interop.sh (loopback only,
every wait bounded).  Prints "key value..." lines for the shell to check.

  make DATA SIZE TORRENT URL SEED   write SIZE random bytes (seeded by SEED)
                                    to DATA and a v1-only torrent announcing
                                    to URL (piece size 32 KiB)
  swarm TORRENT SEEDDIR LEECHDIR SECS
                                    one seed session (SEEDDIR holds the data)
                                    and one leecher session (into LEECHDIR);
                                    prints seed_reply, leech_reply, done,
                                    scrape lines and any tracker errors
  seed TORRENT DIR SECS READYFILE   seed for at most SECS seconds; touch
                                    READYFILE after the first tracker reply
  leech TORRENT DIR SECS [PORT]     leech for at most SECS seconds; prints
                                    leech_reply, done, and "peer_seen 1" once
                                    a peer on PORT is connected or listed
"""
import os
import random
import sys
import time

import libtorrent as lt


def session():
    s = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.all_categories,
        "user_agent": "bt-track-test/libtorrent",
        # libtorrent refuses requests to trackers on localhost whose path is
        # not /announce (SSRF mitigation), which would block /scrape.
        "ssrf_mitigation": False,
    })
    return s


def add(s, torrent, path):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = path
    return s.add_torrent(p)


def drain(s, tag, ev):
    """Collect the interesting alerts of session s into ev (a list)."""
    for a in s.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            ev.append((tag, "reply", a.num_peers))
        elif isinstance(a, lt.tracker_error_alert):
            ev.append((tag, "error", a.message()))
        elif isinstance(a, lt.tracker_warning_alert):
            ev.append((tag, "warning", a.message()))
        elif isinstance(a, lt.scrape_reply_alert):
            ev.append((tag, "scrape", (a.complete, a.incomplete)))
        elif isinstance(a, lt.scrape_failed_alert):
            ev.append((tag, "scrape_failed", "%s %s" % (a.error_message(), a.error.message())))


def wait_for(s, tag, ev, pred, secs):
    end = time.time() + secs
    while time.time() < end:
        s.wait_for_alert(100)
        drain(s, tag, ev)
        if pred():
            return True
    return pred()


def make(data, size, torrent, url, seed):
    r = random.Random(int(seed))
    with open(data, "wb") as f:
        f.write(r.randbytes(int(size)))
    fs = lt.file_storage()
    lt.add_files(fs, data)
    ct = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v1_only)
    ct.add_tracker(url)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(data)))
    with open(torrent, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return 0


def swarm(torrent, seeddir, leechdir, secs):
    secs = float(secs)
    ss, ls = session(), session()
    ev = []
    sh = add(ss, torrent, seeddir)
    got = lambda tag, kind: [e for e in ev if e[0] == tag and e[1] == kind]
    ok = wait_for(ss, "seed", ev, lambda: got("seed", "reply") and sh.status().is_seeding, 10)
    for e in got("seed", "reply")[:1]:
        print("seed_reply", e[2])
    if not ok:
        print("seed_not_ready", sh.status().state)
    t0 = time.time()
    lh = add(ls, torrent, leechdir)
    end = t0 + secs
    while time.time() < end and not lh.status().is_seeding:
        ls.wait_for_alert(100)
        drain(ls, "leech", ev)
        drain(ss, "seed", ev)
    drain(ls, "leech", ev)
    for e in got("leech", "reply")[:1]:
        print("leech_reply", e[2])
    st = lh.status()
    print("done", int(st.is_seeding), "%.1f" % (time.time() - t0))
    print("downloaded", st.total_wanted_done, st.total_wanted)
    if st.is_seeding:
        # The completed announce goes out now; scrape until both count as seeds.
        end = time.time() + 10
        last = None
        while time.time() < end:
            lh.scrape_tracker()
            n = len(ev)
            wait_for(ls, "leech", ev, lambda: any(e[1] in ("scrape", "scrape_failed") for e in ev[n:]), 3)
            drain(ss, "seed", ev)
            sc = [e for e in ev[n:] if e[1] in ("scrape", "scrape_failed")]
            if sc:
                last = sc[-1]
                if last[1] == "scrape" and last[2] == (2, 0):
                    break
            time.sleep(0.3)
        if last is None:
            print("scrape none")
        elif last[1] == "scrape":
            print("scrape", last[2][0], last[2][1])
        else:
            print("scrape_failed", last[2])
    for e in ev:
        if e[1] in ("error", "warning"):
            print("tracker_%s" % e[1], e[0], e[2])
    return 0


def seed(torrent, d, secs, ready):
    s = session()
    ev = []
    h = add(s, torrent, d)
    end = time.time() + float(secs)
    flagged = False
    while time.time() < end:
        s.wait_for_alert(200)
        drain(s, "seed", ev)
        if not flagged and h.status().is_seeding and any(e[1] == "reply" for e in ev):
            open(ready, "w").write("%d\n" % s.listen_port())
            flagged = True
        if os.path.exists(ready + ".stop"):
            break
    for e in ev:
        if e[1] in ("error", "warning"):
            print("tracker_%s" % e[1], e[0], e[2])
    return 0


def leech(torrent, d, secs, port=None):
    s = session()
    ev = []
    h = add(s, torrent, d)
    end = time.time() + float(secs)
    seen = False
    t0 = time.time()
    while time.time() < end:
        s.wait_for_alert(200)
        drain(s, "leech", ev)
        if port and not seen:
            for p in h.get_peer_info():
                if p.ip[1] == int(port):
                    seen = True
        if h.status().is_seeding and (seen or not port):
            break
    for e in [e for e in ev if e[1] == "reply"][:1]:
        print("leech_reply", e[2])
    print("peer_seen", int(seen))
    print("done", int(h.status().is_seeding), "%.1f" % (time.time() - t0))
    for e in ev:
        if e[1] in ("error", "warning"):
            print("tracker_%s" % e[1], e[0], e[2])
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    return {"make": make, "swarm": swarm, "seed": seed, "leech": leech}[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
