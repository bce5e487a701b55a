/* Scratch directories and files for the unit tests. */
#ifndef SSPR_UNIT_UTIL_H
#define SSPR_UNIT_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh 0700 directory under $TMPDIR (or /tmp); aborts the test on failure.
 * The returned string is static until the next call. */
char *unit_tmpdir(void);

/* Remove a tree (does not follow symlinks). */
void unit_rm_rf(const char *path);

/* dir/name := len bytes of data, with mode; returns 0 or -1. */
int unit_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* "dir/name" into buf (PATH_MAX). */
const char *unit_path(char *buf, const char *dir, const char *name);

/* Number of entries in dir whose name contains needle. */
int unit_count_entries(const char *dir, const char *needle);

#endif
