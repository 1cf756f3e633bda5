/* saveas.h - where a torrent's data is saved (BitTornado's saveAs rules,
 * download_bt1.saveAs and launchmanycore's saveas_style).
 *
 * bt_saveas_style turns launchmany's naming rule into the path
 * bt_saveas_root then takes (download gives bt_saveas_root its --saveas
 * directly). */
#ifndef BT_SAVEAS_H
#define BT_SAVEAS_H

#include <stddef.h>
#include <sys/types.h>

struct bt_meta;

/* Where the data of m goes.  saveas "" means the torrent's name in the
 * current directory.  Single file: the file's path, its parent
 * directories made; an existing directory gets the file inside it,
 * <dir>/<name> (BitTornado failed there with "trouble accessing files").  Multi-file: the directory, made; an existing,
 * non-empty directory that holds none of the torrent's top-level entries
 * gets <dir>/<name> instead.  Returns a new path, or NULL with
 * BitTornado's message in err ("Couldn't allocate dir - <why>", "<path> is
 * not a dir", "Can't create dir - <name>"; ours: "<dir>/<name> is a
 * directory: ..."). */
char *bt_saveas_root(const struct bt_meta *m, const char *saveas, char *err, size_t errlen);

/* launchmany's --saveas_style for the torrent file tpath whose torrent is
 * called name: the path to give bt_saveas_root.  (A .magnet file's
 * ".magnet" goes as ".torrent" does.)
 *   1: <base>/<tpath's file name minus ".torrent">
 *   2: <base>/<name>
 *   3: <base>/<tpath's file name minus ".torrent">/<name> for a single
 *      file, <base>/<tpath's file name minus ".torrent"> for a multi-file
 *      torrent (a directory named after the .torrent holds the content).
 * base is saveas_dir when not "" (--saveas), else tpath's directory
 * (nothing when tpath has none: the path is then relative).  Returns a new
 * path, or NULL with the reason in err (a style other than 1..3, nothing
 * left of the file name). */
char *bt_saveas_style(const char *tpath, const char *name, int multi, int style,
	const char *saveas_dir, char *err, size_t errlen);

/* path made absolute and tidied ("." and ".." and repeated slashes
 * resolved as text, like Python's os.path.abspath).  A new string. */
char *bt_saveas_abspath(const char *path);

/* mkdir -p: path and its missing parents with mode; 0, or -1 with errno
 * (ENOTDIR when path exists and is not a directory). */
int bt_saveas_mkdirs(const char *path, mode_t mode);

#endif
