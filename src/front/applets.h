/* applets.h - the one list of applets.
 *
 * BT_APPLETS(X) is expanded into the prototypes here and into the sorted
 * dispatch table in main.c.  Keep it sorted by name (a unit test checks).
 * X(name, summary) */
#ifndef BT_APPLETS_H
#define BT_APPLETS_H

/* The build's feature switches (meson: -Dtracker, -Dclient, -Dmaketools)
 * leave applets out; 1 each when the build says nothing. */
#ifndef BT_HAVE_TRACKER
#define BT_HAVE_TRACKER 1
#endif
#ifndef BT_HAVE_CLIENT
#define BT_HAVE_CLIENT 1
#endif
#ifndef BT_HAVE_MAKETOOLS
#define BT_HAVE_MAKETOOLS 1
#endif
/* BT_IF(flag, ...): the rest when flag (a macro of 0 or 1) is 1. */
#define BT_IF(flag, ...) BT_IF_(flag, __VA_ARGS__)
#define BT_IF_(flag, ...) BT_IF_##flag(__VA_ARGS__)
#define BT_IF_0(...)
#define BT_IF_1(...) __VA_ARGS__

#define BT_APPLETS(X) \
	BT_IF(BT_HAVE_MAKETOOLS, X(completedir, "make a .torrent for every file or directory in a directory")) \
	X(copyannounce, "copy the announce data of one .torrent into others") \
	BT_IF(BT_HAVE_CLIENT, X(download, "download a torrent, then seed it")) \
	BT_IF(BT_HAVE_CLIENT, X(launchmany, "download and seed every .torrent in a directory")) \
	BT_IF(BT_HAVE_MAKETOOLS, X(makemetafile, "make .torrent files")) \
	X(reannounce, "change the tracker of .torrent files") \
	X(rename, "change the name inside a .torrent file") \
	X(sethttpseeds, "set the HTTP seeds of .torrent files") \
	X(showmetainfo, "show what a .torrent file holds") \
	BT_IF(BT_HAVE_TRACKER, X(track, "run a tracker"))

/* The names BitTornado installed, each also valid with ".py", mapped to
 * applets (only those built).  X(legacy, applet) */
#define BT_LEGACY_NAMES(X) \
	BT_IF(BT_HAVE_MAKETOOLS, X(btcompletedir, completedir)) \
	X(btcopyannounce, copyannounce) \
	BT_IF(BT_HAVE_CLIENT, X(btdownloadcurses, download)) \
	BT_IF(BT_HAVE_CLIENT, X(btdownloadheadless, download)) \
	BT_IF(BT_HAVE_CLIENT, X(btlaunchmany, launchmany)) \
	BT_IF(BT_HAVE_CLIENT, X(btlaunchmanycurses, launchmany)) \
	BT_IF(BT_HAVE_MAKETOOLS, X(btmakemetafile, makemetafile)) \
	X(btreannounce, reannounce) \
	X(btrename, rename) \
	X(btsethttpseeds, sethttpseeds) \
	X(btshowmetainfo, showmetainfo) \
	BT_IF(BT_HAVE_TRACKER, X(bttrack, track))

#define BT_APPLET_PROTO(name, summary) int name##_main(int argc, char **argv);
BT_APPLETS(BT_APPLET_PROTO)
#undef BT_APPLET_PROTO

#endif
