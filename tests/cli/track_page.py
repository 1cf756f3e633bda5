#!/usr/bin/python3
"""track_page.py - the layout checks of track_page.sh (the info page in
headless Chromium).

Subcommands:
  harness PAGE OUT WIDTH HEIGHT
      write OUT, an HTML page that shows PAGE (the tracker's info page, as
      served) in an iframe of WIDTH x HEIGHT CSS pixels and, once it has
      loaded, measures it and appends the figures as a <pre id="layout">:
      Chromium's --dump-dom then prints them.  An iframe gives the page a
      viewport of exactly that width (the headless window has a minimum
      width), and its media queries see that width, as a phone's would.
      The page is the same bytes (srcdoc), so the same HTML and CSS are
      laid out.
  check DUMP WIDTH
      read the figures from DUMP (the --dump-dom output) and check them:
      the viewport is WIDTH wide and the page itself does not scroll
      sideways; every torrent name cell lies wholly inside the viewport,
      at least 100 px wide, its text not cut; at a phone width (< 768) the
      hash cells show only a prefix (narrower than 100 px, cut) yet hold
      all 40 digits; at a desktop width they show all 40 and the table
      needs no sideways scrolling.  Prints one line a check ("ok ..." or
      "FAIL ..."); exits 1 if any failed.
  pngsize FILE
      print the width and height of a PNG file.
"""
import html
import struct
import sys
from urllib.parse import unquote

MEASURE = r"""
window.addEventListener('load', function () {
	var f = document.getElementById('f'), d = f.contentDocument;
	var de = d.documentElement, out = [];
	out.push('viewport ' + de.clientWidth + ' ' + de.scrollWidth);
	var sc = d.querySelector('.scroll');
	if (sc)
		out.push('scroll ' + sc.clientWidth + ' ' + sc.scrollWidth);
	function cells(sel, kind) {
		d.querySelectorAll(sel).forEach(function (el) {
			var r = el.getBoundingClientRect();
			out.push(kind + ' ' + Math.round(r.left) + ' ' + Math.round(r.right) + ' ' +
				(el.scrollWidth > el.clientWidth ? 'cut' : 'whole') + ' ' +
				encodeURIComponent(el.textContent));
		});
	}
	cells('td.name', 'name');
	cells('td.hash code', 'hash');
	var pre = document.createElement('pre');
	pre.id = 'layout';
	pre.textContent = '\n' + out.join('\n') + '\nend\n';
	document.body.appendChild(pre);
});
"""


def harness(page, out, width, height):
    with open(page, encoding="utf-8") as f:
        doc = f.read()
    with open(out, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
                '<body style="margin:0">\n<iframe id="f" style="border:0;'
                'width:%dpx;height:%dpx" srcdoc="%s"></iframe>\n<script>%s'
                '</script>\n</body></html>\n'
                % (int(width), int(height), html.escape(doc, quote=True), MEASURE))
    return 0


def figures(dump):
    with open(dump, encoding="utf-8", errors="replace") as f:
        text = f.read()
    start = text.find('<pre id="layout">')
    if start < 0 or "\nend\n" not in text[start:]:
        return None
    body = text[start:text.index("\nend\n", start)]
    rows = []
    for line in body.splitlines()[1:]:
        parts = line.split(" ")
        if parts and parts[0]:
            rows.append(parts)
    return rows


def check(dump, width):
    width = int(width)
    rows = figures(dump)
    bad = 0

    def say(ok, what):
        nonlocal bad
        print(("ok " if ok else "FAIL ") + what)
        bad += 0 if ok else 1

    if rows is None:
        say(False, "no layout figures in the dump (did the page load?)")
        return 1
    view = [r for r in rows if r[0] == "viewport"]
    names = [r for r in rows if r[0] == "name"]
    hashes = [r for r in rows if r[0] == "hash"]
    scroll = [r for r in rows if r[0] == "scroll"]
    if not view:
        say(False, "no viewport figure")
        return 1
    vw, sw = int(view[0][1]), int(view[0][2])
    # A vertical scroll bar may take up to 20 px of the width.
    say(width - 20 <= vw <= width, "viewport is %d px wide (want %d)" % (vw, width))
    say(sw <= vw, "the page does not scroll sideways (%d <= %d)" % (sw, vw))
    say(len(names) >= 3, "%d name cells" % len(names))
    for r in names:
        left, right, cut, text = int(r[1]), int(r[2]), r[3], unquote(r[4])
        say(left >= 0 and right <= vw and right - left >= 100 and cut == "whole",
            "name %r in view: %d..%d of %d px, %s" % (text, left, right, vw, cut))
    say(len(hashes) == len(names), "a hash cell per row")
    for r in hashes:
        left, right, cut, text = int(r[1]), int(r[2]), r[3], unquote(r[4])
        say(len(text) == 40, "hash cell holds all 40 digits (%s)" % text)
        if width < 768:
            say(right - left < 100 and cut == "cut",
                "hash %s.. shown as a prefix: %d px, %s" % (text[:8], right - left, cut))
        else:
            say(cut == "whole", "hash %s shown whole (%d px)" % (text, right - left))
    if width >= 768:
        say(bool(scroll) and int(scroll[0][2]) <= int(scroll[0][1]),
            "the table fits without sideways scrolling: %s" % (scroll[0][1:] if scroll else "?"))
    return 1 if bad else 0


def pngsize(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        print("not a PNG")
        return 1
    w, h = struct.unpack(">II", head[16:24])
    print(w, h)
    return 0


def main(argv):
    cmds = {"harness": (harness, 4), "check": (check, 2), "pngsize": (pngsize, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
