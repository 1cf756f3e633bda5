/* fileio.h - whole-file reads with a size cap, atomic whole-file writes. */
#ifndef BT_FILEIO_H
#define BT_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole regular file of at most max bytes into a new heap buffer
 * (*out, to be freed).  Returns 0, BT_E_IO (errno kept), BT_E_LIMIT
 * (larger than max) or BT_E_NOMEM. */
int bt_file_read(const char *path, size_t max, uint8_t **out, size_t *len);

/* Write p[0..n) to path atomically and durably: into a temporary file in
 * the same directory, flushed to disk (fsync), renamed over path, then the
 * directory flushed too, so readers see the old file or the new one, never
 * a part, and after a power loss path holds the old or the new content.
 * The new file gets mode 0666 less the umask, or the mode of the file it
 * replaces.  When path is a symbolic link, the file it points to is
 * replaced and the link kept.  Returns 0, or BT_E_IO (errno kept) or
 * BT_E_NOMEM: then path is untouched and no temporary is left, except when
 * only the final directory flush failed (the new file is in place but may
 * not survive a power loss). */
int bt_file_write_atomic(const char *path, const void *p, size_t n);
/* The same, but flushed to disk only when it replaces a file: a file it
 * makes anew may be missing or empty after a power loss (as with mktorrent
 * or transmission-create, which never flush), one it replaces holds the
 * old or the new content.  For output a command can make again (.torrent
 * files), where two flushes cost more than hashing a thousand small files. */
int bt_file_write_made(const char *path, const void *p, size_t n);

/* What tells whether a file changed since it was last read: modification
 * time, size and identity (device, inode). */
struct bt_file_stamp {
	int set;
	int64_t mtime_s, size;
	long mtime_ns;
	uint64_t dev, ino;
};

/* Read-ahead for a reader of one file that shares it with other threads
 * taking turns along it (the kernel's own read-ahead follows one reader):
 * before reading n bytes at off, asks the kernel for the next
 * BT_READ_AHEAD bytes from *ahead on, when off + n comes within half of
 * that of *ahead (0 for a file just opened), and moves *ahead. */
#define BT_READ_AHEAD	(8u << 20)
void bt_file_read_ahead(int fd, int64_t off, size_t n, int64_t *ahead);

struct stat;
/* 1 if st differs from the stamp (or the stamp is unset), else 0. */
int bt_file_stamp_changed(const struct bt_file_stamp *s, const struct stat *st);
void bt_file_stamp_set(struct bt_file_stamp *s, const struct stat *st);

#endif
