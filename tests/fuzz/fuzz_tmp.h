/* fuzz_tmp.h - where the fuzz targets that need files put them: /dev/shm
 * when it can be written (a tmpfs: fsync costs nothing there, and the
 * targets that write state through bt_file_write_atomic run at several
 * times the speed), else /tmp. */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H

#include <stdio.h>
#include <unistd.h>

/* out = "<tmp dir>/name". */
static inline void
fuzz_tmp(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
}

#endif
