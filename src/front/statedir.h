/* statedir.h - the per-user state directory (BitTornado's ConfigDir):
 * $HOME/.BitTornado, holding config.<applet>.ini (ini.h) and datacache/,
 * one fast-resume record per torrent named by its info hash in hex. */
#ifndef BT_STATEDIR_H
#define BT_STATEDIR_H

#include <stddef.h>
#include <stdint.h>

/* $HOME/.BitTornado (not made here) as a new string, or NULL with the
 * reason in why ("HOME is not set"). */
char *bt_statedir_path(char *why, size_t cap);

/* The state directory a command line of the options opts[0..n) (opt.h)
 * names: the last "--state_dir DIR" (bt_opt_last), else, when there is
 * none or DIR is "", bt_statedir_path().  For use before the options are
 * parsed, since the configuration file in it gives them their defaults.
 * A new string, or NULL with the reason in why. */
struct bt_opt;
char *bt_statedir_find(const struct bt_opt *opts, size_t n, int argc, char **argv,
	char *why, size_t cap);

/* Make a directory of the state (mode 0700) when it is missing; 0, or -1
 * with the reason in why. */
int bt_statedir_make(const char *dir, char *why, size_t cap);

/* <state>/config.<applet>.ini ("downloadheadless", "launchmanycurses"...)
 * as a new string. */
char *bt_statedir_config(const char *state, const char *applet);

/* <state>/datacache/<40 hex> for the torrent hash, as a new string, the
 * directories made and writable; or NULL with the reason in why. */
char *bt_statedir_resume(const char *state, const uint8_t hash[20], char *why, size_t cap);

/* --expire_cache_data: remove the resume records in <state>/datacache
 * not touched for days days (nothing when days <= 0), except those of the
 * torrents running now: keep holds their nkeep info hashes, 20 bytes
 * each, one after the other. */
void bt_statedir_expire(const char *state, long long days, const uint8_t *keep,
	size_t nkeep);

#endif
