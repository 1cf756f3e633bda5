#!/usr/bin/env bash
# track_extras.sh - the rarer bttrack features: crypto_flags,
# --aggregator, --dedicated_seed_id with check_seeded, --allowed_controls.
NAME=track_extras
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/track_lib.sh"

stop() {
	track_stop
	rm -f "$T/dstate"
}
H=$(U hash extras)
ann() {	# ann OUTFILE PEERID PORT LEFT [more query...]
	curl -s "http://127.0.0.1:$P/announce?info_hash=$H&peer_id=$2&port=$3&left=$4&compact=1$5" >"$1"
}

# ---- crypto_flags: one byte per peer, 1 where that peer requires crypto.
track_start || { fail "start"; finish; }
ann "$T/a" -CR0001-000000000001 7001 5 "&requirecrypto=1"
ann "$T/a" -CR0001-000000000002 7002 5 "&supportcrypto=1"
ann "$T/a" -CR0001-000000000003 7003 5 "&supportcrypto=0&requirecrypto=0"
expect_eq "a plain requester never gets crypto-only peers" "$(U q "$T/a" 'ports(d)')" "[7002]"
expect_eq "no crypto_flags for a plain requester" "$(U q "$T/a" 'int("crypto_flags" in d)')" 0
ann "$T/b" -CR0001-000000000004 7004 5 "&supportcrypto=1"
expect_eq "a crypto-capable requester gets everyone" "$(U q "$T/b" 'ports(d)')" "[7001, 7002, 7003]"
expect_eq "crypto_flags marks the peer that requires crypto" \
	"$(U q "$T/b" 'sorted(zip([p[4]*256+p[5] for p in [d["peers"][i:i+6] for i in range(0, len(d["peers"]), 6)]], list(d["crypto_flags"])))')" \
	"[(7001, 1), (7002, 0), (7003, 0)]"
ann "$T/c" -CR0001-000000000005 7005 5 "&requirecrypto=1"
expect_eq "a crypto-only requester gets crypto-capable peers only" "$(U q "$T/c" 'ports(d)')" "[7001, 7002, 7004]"
stop

# ---- dedicated seed.
track_start --dedicated_seed_id s3cret || { fail "start"; finish; }
ann "$T/d" -DS0001-000000000001 7010 5 "&check_seeded=1"
expect_eq "not seeded before the dedicated seed comes" "$(U q "$T/d" 'd["seeded"]')" 0
ann "$T/d" -DS0001-000000000002 7011 0 "&seed_id=wrong"
ann "$T/d" -DS0001-000000000003 7012 5 "&check_seeded=1"
expect_eq "a wrong seed_id does not count" "$(U q "$T/d" 'd["seeded"]')" 0
ann "$T/d" -DS0001-000000000004 7013 0 "&seed_id=s3cret"
ann "$T/d" -DS0001-000000000005 7014 5 "&check_seeded=1"
expect_eq "seeded once the dedicated seed announced" "$(U q "$T/d" 'd["seeded"]')" 1
stop

# ---- aggregator with a password.
track_start --aggregator pw || { fail "start"; finish; }
ann "$T/e" -AG0001-000000000001 7020 5 "&password=pw"
expect_eq "aggregator answers response: OK" "$(U q "$T/e" 's(d["response"])')" OK
ann "$T/e" -AG0001-000000000002 7021 5 "&password=nope"
expect_grep "not authorized" "$T/e"
curl -s "http://127.0.0.1:$P/scrape?info_hash=$H" >"$T/f"
expect_eq "the aggregator recorded the announce" "$(U q "$T/f" 'list(d["files"].values())[0]["incomplete"]')" 1
stop

# ---- allowed_controls: the torrent's own failure reason / warning message.
mkdir "$T/allow" "$T/allow2"
echo data >"$T/file"
"$BT" makemetafile http://127.0.0.1:$P/announce "$T/file" --target "$T/allow/w.torrent" >/dev/null
"$BT" makemetafile http://127.0.0.1:$P/announce "$T/file" --target "$T/allow2/f.torrent" --comment x >/dev/null
"$PY" - "$T/allow/w.torrent" "$T/allow2/f.torrent" <<'PYEOF'
import sys
def patch(path, key, text):
    b = open(path, 'rb').read()
    # Insert the key where it sorts among the top-level keys (bytes order):
    # 'failure reason' goes just before 'info', 'warning message' after it
    # (at the end: these torrents have no url-list).
    k = b'%d:%s%d:%s' % (len(key), key, len(text), text)
    i = b.index(b'4:infod') if key < b'info' else len(b) - 1
    open(path, 'wb').write(b[:i] + k + b[i:])
patch(sys.argv[1], b'warning message', b'be nice')
patch(sys.argv[2], b'failure reason', b'this torrent is closed')
PYEOF
"$BT" showmetainfo "$T/allow/w.torrent" >/dev/null || fail "patched torrent unreadable"
W=$("$BT" showmetainfo "$T/allow/w.torrent" | sed -n 's/info hash.....: //p' | sed 's/../%&/g')
track_start --allowed_dir "$T/allow" --allowed_controls 1 || { fail "start"; finish; }
curl -s "http://127.0.0.1:$P/announce?info_hash=$W&peer_id=-AC0001-000000000001&port=7030&left=5&compact=1" >"$T/g"
expect_eq "warning message from the allowed torrent" "$(U q "$T/g" 's(d["warning message"])')" "be nice"
stop
F=$("$BT" showmetainfo "$T/allow2/f.torrent" | sed -n 's/info hash.....: //p' | sed 's/../%&/g')
track_start --allowed_dir "$T/allow2" --allowed_controls 1 || { fail "start"; finish; }
curl -s "http://127.0.0.1:$P/announce?info_hash=$F&peer_id=-AC0001-000000000002&port=7031&left=5&compact=1" >"$T/h"
expect_eq "failure reason from the allowed torrent" "$(U q "$T/h" 's(d["failure reason"])')" "this torrent is closed"
stop
track_start --allowed_dir "$T/allow2" || { fail "start"; finish; }
curl -s "http://127.0.0.1:$P/announce?info_hash=$F&peer_id=-AC0001-000000000003&port=7032&left=5&compact=1" >"$T/i"
expect_eq "without --allowed_controls the key is ignored" "$(U q "$T/i" 'int("failure reason" in d)')" 0
stop
expect_nogrep "runtime error" "$T/track.err"
finish
