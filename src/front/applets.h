/* applets.h - the one list of applets.
 *
 * BT_APPLETS(X) is expanded into the prototypes here and into the sorted
 * dispatch table in main.c.  Keep it sorted by name (a unit test checks).
 * X(name, summary) */
#ifndef BT_APPLETS_H
#define BT_APPLETS_H

#define BT_APPLETS(X) \
	X(completedir, "make a .torrent for every file or directory in a directory") \
	X(copyannounce, "copy the announce data of one .torrent into others") \
	X(download, "download a torrent, then seed it") \
	X(launchmany, "download and seed every .torrent in a directory") \
	X(makemetafile, "make .torrent files") \
	X(reannounce, "change the tracker of .torrent files") \
	X(rename, "change the name inside a .torrent file") \
	X(sethttpseeds, "set the HTTP seeds of .torrent files") \
	X(showmetainfo, "show what a .torrent file holds") \
	X(track, "run a tracker")

/* The names BitTornado installed, each also valid with ".py", mapped to
 * applets.  X(legacy, applet) */
#define BT_LEGACY_NAMES(X) \
	X(btcompletedir, completedir) \
	X(btcopyannounce, copyannounce) \
	X(btdownloadcurses, download) \
	X(btdownloadheadless, download) \
	X(btlaunchmany, launchmany) \
	X(btlaunchmanycurses, launchmany) \
	X(btmakemetafile, makemetafile) \
	X(btreannounce, reannounce) \
	X(btrename, rename) \
	X(btsethttpseeds, sethttpseeds) \
	X(btshowmetainfo, showmetainfo) \
	X(bttrack, track)

#define BT_APPLET_PROTO(name, summary) int name##_main(int argc, char **argv);
BT_APPLETS(BT_APPLET_PROTO)
#undef BT_APPLET_PROTO

#endif
