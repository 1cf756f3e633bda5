#!/usr/bin/env bash
# interop.sh - bt against mktorrent, transmission-create/-show, libtorrent
# (and aria2c): same data and piece length give the same info hash, each
# reads the others' torrents with the same hash, bt's edits stay loadable.
# A part whose tool is missing prints SKIP and counts as passed.
NAME=interop
. "$(dirname "$0")/lib.sh"

HAVE_MK=0 HAVE_TR=0 HAVE_LT=0 HAVE_ARIA=0
have mktorrent && HAVE_MK=1
have transmission-create && have transmission-show && HAVE_TR=1
[ -x "$PY" ] && "$PY" -c 'import libtorrent' 2>/dev/null && HAVE_LT=1
have aria2c && HAVE_ARIA=1

MK() { "$BT" makemetafile -f "$@" >/dev/null; }	# some targets are made twice
bt_ih() { "$BT" showmetainfo "$1" 2>/dev/null | sed -n 's/^info hash\.\.\.\.\.: //p'; }
tr_ih() { transmission-show "$1" 2>/dev/null | sed -n 's/^ *Hash: //p' | head -n 1; }
lt_ih() { "$PY" -c 'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hash())' "$1" 2>/dev/null; }
aria_ih() { aria2c -S "$1" 2>/dev/null | sed -n 's/^Info Hash: //p'; }
files_of() { tq "$1" '[("/".join(f["path"]), f["length"]) for f in t["info"]["files"]]'; }

# Deterministic data, no dot files (mktorrent includes them, bt skips them),
# names whose per-level order equals their full-path order.
"$PY" - <<'EOF'
import os, random
r = random.Random(1234)
def put(p, n):
    os.makedirs(os.path.dirname(p) or ".", exist_ok=True)
    open(p, "wb").write(bytes(r.getrandbits(8) for _ in range(n)))
put("single.bin", 1234567)
put("tree/alpha/deep/y.bin", 300001)
put("tree/alpha/x.txt", 1000)
put("tree/beta.dat", 65536)
put("tree/gamma/z", 777)
put("tree/gamma/empty", 0)
put("tree/gamma/\u00fcn\u00ef c\u00f8d\u00e9.txt", 4321)
put("full/one", 40000)
put("full/two/three", 90000)
EOF
ANN=http://127.0.0.1:9/announce

# ======================= bt == mktorrent
if [ $HAVE_MK = 1 ]; then
	for data in single.bin tree; do
		for l in 15 16 18 20; do
			MK "$ANN" "$data" --piece_size_pow2 "$l" --target "bt-$data-$l.torrent"
			mktorrent -l "$l" -a "$ANN" -o "mk-$data-$l.torrent" "$data" >/dev/null 2>&1
			h=$(tq "mk-$data-$l.torrent" ih)
			expect_eq "bt == mktorrent: $data, 2^$l" "$(tq "bt-$data-$l.torrent" ih)" "$h"
			expect_eq "bt reads mktorrent's $data 2^$l" "$(bt_ih "mk-$data-$l.torrent")" "$h"
		done
	done
	expect_eq "mktorrent lists the empty file too" "$(files_of mk-tree-15.torrent)" "$(files_of bt-tree-15.torrent)"
	MK "$ANN" single.bin --piece_size_pow2 16 --private 1 --source SRC --name renamed --target bt-ps.torrent
	mktorrent -l 16 -a "$ANN" -p -s SRC -n renamed -o mk-ps.torrent single.bin >/dev/null 2>&1
	expect_eq "bt == mktorrent with private, source, name" "$(tq bt-ps.torrent ih)" "$(tq mk-ps.torrent ih)"
	mktorrent -l 16 -a "$ANN" -w http://w/1 -c 'mk comment' -o mk-web.torrent single.bin >/dev/null 2>&1
	run "$BT" showmetainfo mk-web.torrent
	expect_grep "web seeds.....: http://w/1" "$OUT"
	expect_grep "comment.......: mk comment" "$OUT"
	# Dot files: mktorrent takes them, bt leaves them out.
	mkdir dotted && cp single.bin dotted/ && echo x >dotted/.hidden
	MK "$ANN" dotted --piece_size_pow2 16 --target bt-dotted.torrent
	expect_eq "bt leaves out dot files" "$(files_of bt-dotted.torrent)" '[["single.bin", 1234567]]'
else
	skip "mktorrent not installed"
fi

# ======================= bt and transmission-create
if [ $HAVE_TR = 1 ]; then
	# transmission-create orders names by a locale-like collation (case and
	# punctuation folded, non-ASCII apart), so its trees hold plain names.
	cp -r tree trtree && rm trtree/gamma/*.txt
	for data in single.bin trtree full; do
		for l in 15 18; do
			kib=$(( (1 << l) / 1024 ))
			MK "$ANN" "$data" --piece_size_pow2 "$l" --target "bt-$data-$l.torrent"
			transmission-create -o "tr-$data-$l.torrent" -s "$kib" -t "$ANN" "$data" >/dev/null 2>&1
			tr=tr-$data-$l.torrent
			bt=bt-$data-$l.torrent
			h=$(tq "$tr" ih)
			expect_eq "transmission-show == raw SHA-1 ($data 2^$l)" "$(tr_ih "$tr")" "$h"
			expect_eq "bt showmetainfo == transmission-show ($data 2^$l)" "$(bt_ih "$tr")" "$h"
			expect_eq "same pieces as transmission ($data 2^$l)" \
				"$(tq "$bt" 'by(t["info"]["pieces"]).hex()')" "$(tq "$tr" 'by(t["info"]["pieces"]).hex()')"
			expect_eq "same piece length as transmission ($data 2^$l)" \
				"$(tq "$bt" 't["info"]["piece length"]')" "$(tq "$tr" 't["info"]["piece length"]')"
			expect_eq "transmission writes private 0 ($data 2^$l)" "$(tq "$tr" 't["info"].get("private")')" 0
			if [ "$data" = single.bin ]; then
				expect_eq "same length as transmission" \
					"$(tq "$bt" 't["info"]["length"]')" "$(tq "$tr" 't["info"]["length"]')"
			else
				# transmission leaves out empty files
				expect_eq "same files as transmission, less empty ones ($data 2^$l)" \
					"$(tq "$bt" '[("/".join(f["path"]), f["length"]) for f in t["info"]["files"] if f["length"]]')" \
					"$(files_of "$tr")"
			fi
			if [ "$data" != trtree ]; then
				# Same info keys once private 0 is added: the same hash.
				bwrite "$bt.p0" "obj = load('$bt'); obj['info']['private'] = 0"
				expect_eq "bt info + private 0 == transmission ($data 2^$l)" "$(tq "$bt.p0" ih)" "$h"
			fi
		done
	done
	# -p: private 1 on both sides, the same info keys and hash.
	MK "$ANN" full --piece_size_pow2 16 --private 1 --target bt-full-priv.torrent
	transmission-create -p -o tr-full-priv.torrent -s 64 -t "$ANN" full >/dev/null 2>&1
	expect_eq "bt --private 1 == transmission-create -p" "$(tq bt-full-priv.torrent ih)" "$(tq tr-full-priv.torrent ih)"
else
	skip "transmission-create/transmission-show not installed"
fi

# ======================= torrents made or edited by bt load elsewhere
MK "$ANN" single.bin --target made-single.torrent
MK "$ANN" tree --target made-tree.torrent --piece_size_pow2 14
MK "$ANN" full --target made-extra.torrent --private 1 --source SRC --comment 'c' \
	--announce-list "$ANN,http://127.0.0.1:10/a|http://127.0.0.1:11/a" \
	--httpseeds http://127.0.0.1:12/s --webseeds 'http://127.0.0.1:13/w/|http://127.0.0.1:14/w/'
cp made-single.torrent ed-reannounce.torrent
"$BT" reannounce -a 'http://127.0.0.1:20/a|http://127.0.0.1:21/a' http://127.0.0.1:22/a ed-reannounce.torrent
cp made-tree.torrent ed-seeds.torrent
"$BT" sethttpseeds 'http://127.0.0.1:23/s|http://127.0.0.1:24/s' ed-seeds.torrent
"$BT" sethttpseeds -w 'http://127.0.0.1:25/w' ed-seeds.torrent
cp made-tree.torrent ed-copy.torrent
"$BT" copyannounce made-extra.torrent ed-copy.torrent
cp made-extra.torrent ed-rename.torrent
"$BT" rename ed-rename.torrent another-name
# An edited torrent that carries unknown keys at every level.
bwrite unknown.torrent '
obj = load("made-tree.torrent")
obj["publisher"] = "x"
obj["info"]["x-extra"] = {"a": [1, 2]}
for f in obj["info"]["files"]:
    f["md5sum"] = "0" * 32
'
cp unknown.torrent ed-unknown.torrent
"$BT" reannounce http://127.0.0.1:26/a ed-unknown.torrent
"$BT" sethttpseeds http://127.0.0.1:27/s ed-unknown.torrent
expect_eq "edits keep the info hash (unknown keys)" "$(tq ed-unknown.torrent ih)" "$(tq unknown.torrent ih)"
expect_eq "rename: new name" "$(tq ed-rename.torrent 't["info"]["name"]')" another-name

for f in made-single made-tree made-extra ed-reannounce ed-seeds ed-copy ed-rename ed-unknown; do
	h=$(bt_ih "$f.torrent")
	expect_eq "$f: bt's hash is the raw SHA-1" "$h" "$(tq "$f.torrent" ih)"
	if [ $HAVE_TR = 1 ]; then
		expect_eq "$f: transmission-show agrees" "$(tr_ih "$f.torrent")" "$h"
	fi
	if [ $HAVE_LT = 1 ]; then
		expect_eq "$f: libtorrent agrees" "$(lt_ih "$f.torrent")" "$h"
	fi
	if [ $HAVE_ARIA = 1 ]; then
		expect_eq "$f: aria2c agrees" "$(aria_ih "$f.torrent")" "$h"
	fi
done
[ $HAVE_TR = 1 ] || skip "transmission-show not installed"
[ $HAVE_LT = 1 ] || skip "python3-libtorrent not installed"

if [ $HAVE_LT = 1 ]; then
	# What libtorrent reads out of bt's torrents.
	expect_eq "libtorrent: made-extra details" "$("$PY" -c '
import libtorrent as lt
ti = lt.torrent_info("made-extra.torrent")
print(ti.priv(), ti.num_files(), ti.total_size(), sorted(w["url"] for w in ti.web_seeds()),
      sorted((t.tier, t.url) for t in ti.trackers()), ti.comment())
')" "True 2 130000 ['http://127.0.0.1:12/s', 'http://127.0.0.1:13/w/', 'http://127.0.0.1:14/w/'] [(0, 'http://127.0.0.1:10/a'), (0, 'http://127.0.0.1:9/announce'), (1, 'http://127.0.0.1:11/a')] c"

	# libtorrent checks the data against bt's pieces and finds it complete.
	for f in made-single made-tree ed-unknown; do
		got=$(timeout 60 "$PY" - "$f.torrent" "$T" <<'EOF'
import sys, time, libtorrent as lt
s = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False, "alert_mask": 0})
p = lt.add_torrent_params()
p.ti = lt.torrent_info(sys.argv[1])
p.save_path = sys.argv[2]
p.flags &= ~lt.torrent_flags.auto_managed
p.flags &= ~lt.torrent_flags.paused
h = s.add_torrent(p)
st = h.status()
for _ in range(400):
    st = h.status()
    if st.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data) \
            and st.has_metadata and st.num_pieces == p.ti.num_pieces() or st.errc.value():
        break
    time.sleep(0.05)
print("%d/%d" % (st.num_pieces, p.ti.num_pieces()))
EOF
)
		want=$(tq "$f.torrent" '"%d/%d" % (len(by(t["info"]["pieces"])) // 20, len(by(t["info"]["pieces"])) // 20)')
		expect_eq "libtorrent verifies every piece of $f" "$got" "$want"
	done

	# ======================= a hybrid v1+v2 torrent from libtorrent
	rm -rf hy && mkdir -p hy/sub
	cp tree/alpha/deep/y.bin hy/a && cp tree/gamma/z hy/sub/b && cp tree/alpha/x.txt hy/c
	"$PY" - <<'EOF'
import libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, "hy")
ct = lt.create_torrent(fs, 16384)
ct.add_tracker("http://127.0.0.1:9/announce")
lt.set_piece_hashes(ct, ".")
open("hybrid.torrent", "wb").write(lt.bencode(ct.generate()))
ti = lt.torrent_info("hybrid.torrent")
open("hybrid.v1", "w").write("%s\n%s\n%d\n" % (ti.info_hashes().v1, ti.info_hashes().has_v2(), ti.total_size()))
EOF
	v1=$(sed -n 1p hybrid.v1)
	expect_eq "libtorrent made a hybrid" "$(sed -n 2p hybrid.v1)" True
	expect_eq "hybrid has meta version 2" "$(tq hybrid.torrent 't["info"].get("meta version")')" 2
	expect_exit 0 "$BT" showmetainfo hybrid.torrent
	expect_eq "bt's hash of the hybrid == libtorrent's v1 hash" \
		"$(sed -n 's/^info hash\.\.\.\.\.: //p' "$OUT")" "$v1"
	expect_eq "bt's hybrid hash is the raw SHA-1" "$v1" "$(tq hybrid.torrent ih)"
	expect_grep "directory name: hy" "$OUT"
	expect_egrep "^archive size\.\.: $(sed -n 3p hybrid.v1) " "$OUT"
	expect_grep "   sub/b (777)" "$OUT"
	# bt's editors keep the hybrid's info (v1 and v2 parts) intact.
	cp hybrid.torrent hybrid-ed.torrent
	expect_exit 0 "$BT" reannounce http://127.0.0.1:30/a hybrid-ed.torrent
	expect_eq "reannounced hybrid: info bytes kept" "$(tq hybrid-ed.torrent 'info_raw.hex()')" "$(tq hybrid.torrent 'info_raw.hex()')"
	expect_eq "reannounced hybrid: piece layers kept" \
		"$(tq hybrid-ed.torrent 'sorted(by(k).hex() for k in t["piece layers"])')" \
		"$(tq hybrid.torrent 'sorted(by(k).hex() for k in t["piece layers"])')"
	expect_eq "reannounced hybrid loads in libtorrent as v1+v2" "$("$PY" -c '
import libtorrent as lt
ti = lt.torrent_info("hybrid-ed.torrent")
print(ti.info_hashes().v1, ti.info_hashes().has_v2())
')" "$v1 True"
	# A v1-only libtorrent torrent, too.
	"$PY" -c '
import libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, "full")
ct = lt.create_torrent(fs, 32768, flags=lt.create_torrent.v1_only)
ct.add_tracker("http://127.0.0.1:9/announce")
lt.set_piece_hashes(ct, ".")
open("ltv1.torrent", "wb").write(lt.bencode(ct.generate()))
'
	expect_eq "bt reads libtorrent's v1 torrent with its hash" "$(bt_ih ltv1.torrent)" "$(lt_ih ltv1.torrent)"
else
	skip "python3-libtorrent not installed: hybrid torrents"
fi

finish
