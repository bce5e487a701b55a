/* Open files and directories that decide security only when they are ours. */
#ifndef SSPR_SAFE_OPEN_H
#define SSPR_SAFE_OPEN_H

#include <stddef.h>
#include <sys/types.h>

/* Open a regular file read-only with O_NOFOLLOW|O_CLOEXEC|O_NOCTTY, then
 * fstat: owned by owner, not group/world writable, at most max_bytes.
 * dirfd may be AT_FDCWD. Returns an fd, or -1 with errno set (ELOOP for a
 * symlink, EPERM for bad ownership/mode, EFBIG for size, EINVAL for not a
 * regular file). */
int sspr_open_safely(int dirfd, const char *path, uid_t owner, size_t max_bytes);

/* Read the whole file (fd from sspr_open_safely) into a malloc'd,
 * NUL-terminated buffer. Returns 0 or -1. */
int sspr_read_all_fd(int fd, size_t max_bytes, char **out, size_t *out_len);

/* Both steps for a whole file at path (AT_FDCWD-relative), with a clear
 * reason in err ("...: is a symbolic link (refused)") on failure. Returns 0
 * with a malloc'd NUL-terminated *out, or -1 with errno kept (ENOENT lets
 * a caller treat a missing file as "use the defaults"). */
int sspr_read_file_safely(const char *path, uid_t owner, size_t max_bytes, char **out,
                          size_t *out_len, char *err, size_t errlen);

/* CA certificates (public: any owner, but never through a symbolic link),
 * at most 512 KiB, into a malloc'd NUL-terminated *out. what names the
 * setting in err ("[ldap] ca_file"). 0, or -1 with err set. */
int sspr_read_ca_file(const char *what, const char *path, char **out, size_t *out_len, char *err,
                      size_t errlen);

#endif
