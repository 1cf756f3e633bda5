#!/usr/bin/env bash
# editors.sh - reannounce, copyannounce, rename, sethttpseeds: what they
# change, what they keep (unknown keys, the info bytes), no rewrite when
# nothing changes, atomic writes, verbose lines, usage.
NAME=editors
. "$(dirname "$0")/lib.sh"

# A torrent with unknown keys at the top, in info and in file entries.
mkdir data data/sub
echo one >data/a
echo two >data/sub/b
"$BT" makemetafile http://orig/announce data --no_date 1 >/dev/null
bwrite base.torrent '
obj = load("data.torrent")
obj["publisher"] = "someone"
obj["zz-custom"] = {"list": [1, "x", {"k": -3}]}
obj["comment.utf-8"] = "hi"
obj["announce-list"] = [["http://orig/announce", "http://orig2/a"], ["http://backup/a"]]
obj["info"]["source"] = "SRC"
obj["info"]["x-extra"] = [1, 2, 3]
for f in obj["info"]["files"]:
    f["md5sum"] = "0" * 32
'
BASE_INFO=$(tq base.torrent 'info_raw.hex()')
BASE_IH=$(tq base.torrent ih)

fresh() { cp base.torrent "$1"; touch -d '2001-01-01 00:00:00' "$1"; }
stamp() { stat -c '%i %y %s' "$1"; }
# keeps F KEY... : info bytes unchanged and every top-level key but KEYs too
keeps() {
	local f=$1 what
	shift
	what=$(printf '"%s",' "$@")
	expect_eq "$f: info bytes unchanged" "$(tq "$f" 'info_raw.hex()')" "$BASE_INFO"
	expect_eq "$f: other keys kept" \
		"$(tq "$f" "{k: v for k, v in t.items() if k not in ($what)}")" \
		"$(tq base.torrent "{k: v for k, v in t.items() if k not in ($what)}")"
}
# unchanged F STAMP: the file was not rewritten
unchanged() { expect_eq "$1 not rewritten" "$(stamp "$1")" "$2"; }

# The read-only-directory test needs an unprivileged user when we are root.
chmod 755 "$T"
cp "$BT" "$T/bt-copy" && chmod 755 "$T/bt-copy"
unpriv() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif have setpriv; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		return 99
	fi
}
# readonly_fails APPLET ARGS... : the last argument is a torrent; put it in a
# read-only directory, run the applet, expect failure and an intact file.
readonly_fails() {
	rm -rf ro && mkdir ro && cp base.torrent ro/x.torrent && chmod 644 ro/x.torrent
	local args=("$@")
	args[${#args[@]} - 1]=ro/x.torrent
	chmod 555 ro
	run unpriv "$T/bt-copy" "${args[@]}"
	if [ "$RC" -eq 99 ]; then
		skip "$1: read-only directory (root without setpriv)"
	else
		expect_eq "$1 in a read-only dir: exit 1" "$RC" 1
		check "$1 in a read-only dir: says why on stderr" [ -s "$ERR" ]
		expect_file_eq "$1 in a read-only dir: original intact" ro/x.torrent base.torrent
		expect_eq "$1 in a read-only dir: no stray files" "$(ls ro)" x.torrent
	fi
	chmod 755 ro
}

# ======================= reannounce
R() { "$BT" reannounce "$@"; }
fresh r1.torrent
expect_exit 0 R http://new/announce r1.torrent
expect_eq "reannounce sets announce" "$(tq r1.torrent 't["announce"]')" http://new/announce
expect_eq "reannounce without -a removes announce-list" "$(tq r1.torrent '"announce-list" in t')" false
keeps r1.torrent announce announce-list
expect_eq "reannounce keeps the info hash" "$(tq r1.torrent ih)" "$BASE_IH"
fresh r2.torrent
expect_exit 0 R -a 'http://a|http://b,http://c' http://new/announce r2.torrent
expect_eq "reannounce -a tiers" "$(tq r2.torrent 't["announce-list"]')" '[["http://a"], ["http://b", "http://c"]]'
keeps r2.torrent announce announce-list
fresh r3.torrent
expect_exit 0 R --announce_list 'http://a||,http://b|' http://new/announce r3.torrent
expect_eq "reannounce --announce_list drops empty items" "$(tq r3.torrent 't["announce-list"]')" '[["http://a"], ["http://b"]]'
# -v
fresh r4.torrent
expect_exit 0 R -v http://new/announce r4.torrent
printf '%s\n' 'old announce for r4.torrent: http://orig/announce' \
	'old announce-list for r4.torrent: http://orig/announce,http://orig2/a|http://backup/a' >want
expect_file_eq "reannounce -v lines" "$OUT" want
bwrite noann.torrent 'obj = load("base.torrent"); del obj["announce"]; del obj["announce-list"]'
expect_exit 0 R -v http://new/announce noann.torrent
expect_grep "No announce found." "$OUT"
expect_eq "reannounce adds a missing announce" "$(tq noann.torrent 't["announce"]')" http://new/announce
# several files; a bad one does not stop the others
fresh r5.torrent
fresh r6.torrent
expect_exit 1 R http://x/y r5.torrent nosuch.torrent r6.torrent
expect_eq "reannounce: first of several" "$(tq r5.torrent 't["announce"]')" http://x/y
expect_eq "reannounce: last of several" "$(tq r6.torrent 't["announce"]')" http://x/y
expect_grep nosuch.torrent "$ERR"
# nothing to change -> not rewritten
st=$(stamp r5.torrent)
expect_exit 0 R http://x/y r5.torrent
unchanged r5.torrent "$st"
st=$(stamp r2.torrent)
expect_exit 0 R -a 'http://a|http://b,http://c' http://new/announce r2.torrent
unchanged r2.torrent "$st"
# mode kept
fresh r7.torrent && chmod 640 r7.torrent
expect_exit 0 R http://x/z r7.torrent
expect_eq "reannounce keeps the file mode" "$(stat -c %a r7.torrent)" 640
readonly_fails reannounce http://new/announce x
# usage
expect_exit 2 R
expect_exit 2 R http://only
expect_exit 2 R -x http://a r1.torrent
expect_exit 2 R --bogus http://a r1.torrent
expect_grep "bogus" "$ERR"
expect_exit 0 R -h
expect_grep "Usage:" "$OUT"

# ======================= copyannounce
C() { "$BT" copyannounce "$@"; }
"$BT" makemetafile http://src/announce data/a --target src.torrent --no_date 1 \
	--announce-list 'http://s1,http://s2|http://s3' >/dev/null
"$BT" makemetafile http://plain/announce data/a --target plain.torrent --no_date 1 >/dev/null
fresh c1.torrent
expect_exit 0 C src.torrent c1.torrent
expect_eq "copyannounce: announce" "$(tq c1.torrent 't["announce"]')" http://src/announce
expect_eq "copyannounce: announce-list" "$(tq c1.torrent 't["announce-list"]')" \
	'[["http://s1", "http://s2"], ["http://s3"]]'
keeps c1.torrent announce announce-list
fresh c2.torrent
fresh c3.torrent
expect_exit 0 C plain.torrent c2.torrent c3.torrent
expect_eq "copyannounce: announce to every target" "$(tq c3.torrent 't["announce"]')" http://plain/announce
expect_eq "copyannounce: no source list removes it" "$(tq c2.torrent '"announce-list" in t')" false
keeps c2.torrent announce announce-list
fresh c4.torrent
expect_exit 0 C -v src.torrent c4.torrent
printf '%s\n' 'new announce:  http://src/announce' \
	'new announce-list:  http://s1,http://s2|http://s3' \
	'old announce for c4.torrent: http://orig/announce' \
	'old announce-list for c4.torrent: http://orig/announce,http://orig2/a|http://backup/a' >want
expect_file_eq "copyannounce -v lines" "$OUT" want
st=$(stamp c4.torrent)
touch -d '2001-01-01' c4.torrent
st=$(stamp c4.torrent)
expect_exit 0 C src.torrent c4.torrent
unchanged c4.torrent "$st"
expect_exit 1 C noann-src.torrent c4.torrent
bwrite nosrc.torrent 'obj = load("src.torrent"); del obj["announce"]'
expect_exit 1 C nosrc.torrent c4.torrent
unchanged c4.torrent "$st"
readonly_fails copyannounce src.torrent x
expect_exit 2 C
expect_exit 2 C src.torrent
expect_exit 2 C -q src.torrent c4.torrent
expect_exit 0 C --help

# ======================= sethttpseeds
S() { "$BT" sethttpseeds "$@"; }
fresh s1.torrent
expect_exit 0 S 'http://h/1|http://h/2' s1.torrent
expect_eq "sethttpseeds sets httpseeds" "$(tq s1.torrent 't["httpseeds"]')" '["http://h/1", "http://h/2"]'
keeps s1.torrent httpseeds
expect_exit 0 S -v 'http://h/3' s1.torrent
expect_eq "sethttpseeds -v" "$(cat "$OUT")" 'old http-seed list for s1.torrent: http://h/1|http://h/2'
expect_eq "sethttpseeds replaces" "$(tq s1.torrent 't["httpseeds"]')" '["http://h/3"]'
expect_exit 0 S 0 s1.torrent
expect_eq "sethttpseeds 0 removes the key" "$(tq s1.torrent '"httpseeds" in t')" false
keeps s1.torrent httpseeds
expect_file_eq "set then removed: back to the original bytes" s1.torrent base.torrent
fresh s2.torrent
st=$(stamp s2.torrent)
expect_exit 0 S -v 0 s2.torrent
unchanged s2.torrent "$st"
expect_eq "sethttpseeds -v: nothing when there was no list" "$(cat "$OUT")" ""
expect_exit 0 S 'http://h/1' s2.torrent
touch -d '2001-01-01' s2.torrent
st=$(stamp s2.torrent)
expect_exit 0 S 'http://h/1' s2.torrent
unchanged s2.torrent "$st"
# -w: url-list
fresh s3.torrent
expect_exit 0 S -w 'http://w/1|http://w/2' s3.torrent
expect_eq "sethttpseeds -w sets url-list" "$(tq s3.torrent 't["url-list"]')" '["http://w/1", "http://w/2"]'
expect_eq "sethttpseeds -w leaves httpseeds alone" "$(tq s3.torrent '"httpseeds" in t')" false
keeps s3.torrent url-list
expect_exit 0 S -w 0 s3.torrent
expect_eq "sethttpseeds -w 0 removes url-list" "$(tq s3.torrent '"url-list" in t')" false
readonly_fails sethttpseeds 'http://h/9' x
expect_exit 2 S
expect_exit 2 S 'http://h/1'
expect_exit 2 S -z 'http://h/1' s3.torrent
expect_exit 0 S -h

# ======================= rename
N() { "$BT" rename "$@"; }
fresh n1.torrent
expect_exit 0 N n1.torrent newname
expect_eq "rename sets info.name" "$(tq n1.torrent 't["info"]["name"]')" newname
expect_eq "rename keeps the rest of info (unknown keys too)" \
	"$(tq n1.torrent '{k: v for k, v in t["info"].items() if k != "name"}')" \
	"$(tq base.torrent '{k: v for k, v in t["info"].items() if k != "name"}')"
expect_eq "rename keeps the top-level keys" \
	"$(tq n1.torrent '{k: v for k, v in t.items() if k != "info"}')" \
	"$(tq base.torrent '{k: v for k, v in t.items() if k != "info"}')"
check "rename changes the info hash" [ "$(tq n1.torrent ih)" != "$BASE_IH" ]
fresh n2.torrent
expect_exit 0 N -v n2.torrent other
expect_grep "n2.torrent: data -> other" "$OUT"
newih=$(tq n2.torrent ih)
expect_grep "$newih" "$OUT"
# -m: the base name without .torrent
mkdir m
fresh m/matched.torrent
fresh m2.torrent
expect_exit 0 N -m m/matched.torrent m2.torrent
expect_eq "rename -m uses the base name" "$(tq m/matched.torrent 't["info"]["name"]')" matched
expect_eq "rename -m, second file" "$(tq m2.torrent 't["info"]["name"]')" m2
fresh m3.torrent
expect_exit 1 N -m notatorrent m3.torrent
expect_grep "notatorrent does not appear to be a .torrent file" "$ERR"
expect_eq "rename -m goes on after a bad argument" "$(tq m3.torrent 't["info"]["name"]')" m3
# same name: not rewritten
st=$(stamp m2.torrent)
expect_exit 0 N m2.torrent m2
unchanged m2.torrent "$st"
# names that cannot be names
for bad in '' '..' '.' 'a/b'; do
	fresh n3.torrent
	expect_exit 1 N n3.torrent "$bad"
	expect_file_eq "rename to '$bad' refused, file intact" n3.torrent base.torrent
done
readonly_fails rename x newname2
# -V, usage
expect_exit 0 N -V
expect_egrep '^bt rename 20130326' "$OUT"
ln -s "$BT" btrename
expect_exit 0 ./btrename -V
expect_egrep '^btrename 20130326' "$OUT"
expect_exit 2 N
expect_exit 2 N n1.torrent
expect_exit 2 N n1.torrent a b
expect_exit 2 N --bogus n1.torrent x
expect_exit 0 N --help

# ======================= editing through a symbolic link
# The file the link points at is edited; the link stays a link.
mkdir lk
edit_via_link() {	# edit_via_link DESC CHECK-EXPR WANT APPLET ARGS... (torrent is lk/link.torrent)
	local desc=$1 expr=$2 want=$3
	shift 3
	fresh lk/real.torrent
	rm -f lk/link.torrent && ln -s real.torrent lk/link.torrent
	expect_exit 0 "$BT" "$@" lk/link.torrent
	check "$desc: link is still a symlink" [ -L lk/link.torrent ]
	expect_eq "$desc: the real file is edited" "$(tq lk/real.torrent "$expr")" "$want"
}
edit_via_link "reannounce via link" 't["announce"]' http://via/link reannounce http://via/link
edit_via_link "sethttpseeds via link" 't.get("httpseeds")' '["http://via/s"]' sethttpseeds http://via/s
edit_via_link "copyannounce via link" 't["announce"]' http://src/announce copyannounce src.torrent
fresh lk/real.torrent
rm -f lk/link.torrent && ln -s real.torrent lk/link.torrent
expect_exit 0 "$BT" rename lk/link.torrent vialink
check "rename via link: link is still a symlink" [ -L lk/link.torrent ]
expect_eq "rename via link: the real file is edited" "$(tq lk/real.torrent 't["info"]["name"]')" vialink

# ======================= no empty lists are written
# An empty announce-list/httpseeds/url-list is either left out or refused
# (exit non-zero, file intact) - never written as an empty list.
no_empty_list() {	# no_empty_list KEY APPLET ARGS... (torrent is el.torrent)
	local key=$1
	shift
	fresh el.torrent
	run "$BT" "$@" el.torrent
	if [ "$RC" -eq 0 ]; then
		expect_eq "$* : no empty $key written" "$(tq el.torrent "t.get(\"$key\", \"absent\")")" absent
	else
		expect_file_eq "$* : refused, file intact" el.torrent base.torrent
	fi
}
no_empty_list announce-list reannounce -a '' http://new/announce
no_empty_list announce-list reannounce -a '|,|' http://new/announce
no_empty_list httpseeds sethttpseeds '|'
no_empty_list httpseeds sethttpseeds ''
no_empty_list url-list sethttpseeds -w '||'

# An editor never touches a broken torrent.
head -c 100 base.torrent >broken.torrent
cp broken.torrent broken.before
expect_exit 1 R http://x broken.torrent
expect_grep "at byte" "$ERR"
expect_exit 1 S 'http://h' broken.torrent
expect_exit 1 N broken.torrent y
expect_exit 1 C src.torrent broken.torrent
expect_file_eq "broken torrent left alone" broken.torrent broken.before

# ======================= one tracker at a time: -A/--add, -d/--delete, -r/--replace
# base.torrent: announce http://orig/announce,
# announce-list [[orig/announce, orig2/a], [backup/a]].
TR() { tq "$1" '[t.get("announce"), t.get("announce-list")]'; }
fresh t1.torrent
expect_exit 0 R -A http://new/a t1.torrent
expect_eq "-A: a new last tier" "$(TR t1.torrent)" \
	'["http://orig/announce", [["http://orig/announce", "http://orig2/a"], ["http://backup/a"], ["http://new/a"]]]'
expect_eq "-A: reported" "$(cat "$OUT")" "t1.torrent: added http://new/a (announce-list tier 3)"
keeps t1.torrent announce-list
st=$(stamp t1.torrent)
expect_exit 0 R --add http://orig2/a t1.torrent
unchanged t1.torrent "$st"
expect_eq "-A of a tracker already there: said, nothing written" "$(cat "$OUT")" \
"t1.torrent: unchanged: http://orig2/a is already a tracker
t1.torrent: nothing changed, file not rewritten"
expect_exit 0 R t1.torrent -d http://orig/announce
expect_eq "-d announce: gone everywhere, the first left becomes announce" "$(TR t1.torrent)" \
	'["http://orig2/a", [["http://orig2/a"], ["http://backup/a"], ["http://new/a"]]]'
expect_grep "t1.torrent: removed http://orig/announce (announce-list tier 1)" "$OUT"
expect_grep "t1.torrent: removed http://orig/announce (announce)" "$OUT"
expect_grep "t1.torrent: announce is now http://orig2/a" "$OUT"
expect_exit 0 R -d http://backup/a --replace http://new/a http://newer/b t1.torrent
expect_eq "-d a tier's only URL drops the tier; -r a whole URL" "$(TR t1.torrent)" \
	'["http://orig2/a", [["http://orig2/a"], ["http://newer/b"]]]'
expect_grep "t1.torrent: removed http://backup/a (announce-list tier 2, now empty: removed)" "$OUT"
expect_grep "t1.torrent: replaced http://new/a -> http://newer/b (announce-list tier 2)" "$OUT"
expect_exit 0 R -r orig2 passkey123 t1.torrent
expect_eq "-r a part of the URLs (announce and list)" "$(TR t1.torrent)" \
	'["http://passkey123/a", [["http://passkey123/a"], ["http://newer/b"]]]'
expect_exit 0 R -d http://nope/ t1.torrent
expect_grep "t1.torrent: unchanged: no tracker http://nope/" "$OUT"
expect_grep "t1.torrent: nothing changed, file not rewritten" "$OUT"
expect_exit 0 R -d http://passkey123/a -d http://newer/b t1.torrent
expect_eq "-d every tracker: no announce, no announce-list" "$(TR t1.torrent)" '[null, null]'
expect_grep "t1.torrent: no tracker left" "$OUT"
expect_exit 0 R -A http://only/a t1.torrent
expect_eq "-A to a torrent with none: announce" "$(TR t1.torrent)" '["http://only/a", null]'
expect_exit 0 R -A http://second/a t1.torrent
expect_eq "-A to announce alone: announce-list from both" "$(TR t1.torrent)" \
	'["http://only/a", [["http://only/a"], ["http://second/a"]]]'
expect_eq "t1: info bytes kept through it all" "$(tq t1.torrent 'info_raw.hex()')" "$BASE_INFO"
# usage
expect_exit 2 R t1.torrent -r only-old
expect_grep "needs OLD and NEW" "$ERR"
expect_exit 2 R -A
expect_exit 2 R -a 'http://x' -A http://y t1.torrent
expect_grep "does not go with" "$ERR"
expect_exit 0 R -h
expect_grep "-A, --add URL" "$OUT"
expect_grep "-r, --replace OLD NEW" "$OUT"
# Without them, BitTornado's behaviour, silent as it was.
fresh t2.torrent
expect_exit 0 R http://plain/x t2.torrent
expect_eq "plain reannounce: silent" "$(cat "$OUT")" ""
# copyannounce: the copied trackers, so changed
fresh t3.torrent
expect_exit 0 C -d http://s3 -A http://extra/a src.torrent t3.torrent
expect_eq "copyannounce -d -A" "$(TR t3.torrent)" \
	'["http://src/announce", [["http://s1", "http://s2"], ["http://extra/a"]]]'
expect_grep "t3.torrent: removed http://s3 (announce-list tier 2, now empty: removed)" "$OUT"
expect_grep "t3.torrent: added http://extra/a (announce-list tier 2)" "$OUT"
keeps t3.torrent announce announce-list

# The same edits as transmission-edit makes.
if have transmission-edit; then
	for ops in "-A http://new/a" "-d http://orig/announce" "-d http://backup/a" \
		"-r orig http://x" "-A http://orig2/a" "-d http://nope/"; do
		fresh ours.torrent
		fresh theirs.torrent
		# shellcheck disable=SC2086
		R $ops ours.torrent
		# shellcheck disable=SC2086
		transmission-edit $(echo "$ops" | sed 's/^-A/-a/') theirs.torrent >/dev/null 2>&1
		expect_eq "same trackers as transmission-edit ($ops)" "$(TR ours.torrent)" "$(TR theirs.torrent)"
	done
else
	skip "transmission-edit not installed"
fi

# ---- what the editors print from a torrent is terminal-safe
bwrite esc.torrent 'obj = load("base.torrent"); obj["announce"] = "http://e/\x1b[2J"; obj["announce-list"] = [["http://e/\x9b1m"]]; obj["httpseeds"] = ["http://h/\x07"]'
cp esc.torrent esc2.torrent
expect_exit 0 R -v -d "$(printf 'http://e/\033[2J')" esc.torrent
expect_nogrep "$(printf '\033')" "$OUT"
expect_grep 'old announce for esc.torrent: http://e/\x1b[2J' "$OUT"
expect_grep 'old announce-list for esc.torrent: http://e/\xc2\x9b1m' "$OUT"
expect_grep 'esc.torrent: removed http://e/\x1b[2J (announce)' "$OUT"
expect_exit 0 S -v http://h/new esc2.torrent
expect_grep 'old http-seed list for esc2.torrent: http://h/\x07' "$OUT"
expect_exit 0 C -v esc2.torrent c1.torrent
expect_grep 'new announce:  http://e/\x1b[2J' "$OUT"
bwrite escname.torrent 'obj = load("base.torrent"); obj["info"]["name"] = "n\x1b]0;t\x07"'
expect_exit 0 N -v escname.torrent plain
expect_grep 'escname.torrent: n\x1b]0;t\x07 -> plain' "$OUT"

finish
