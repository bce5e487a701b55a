/*
 * Open files that decide security only when they are ours: never through a
 * symlink, never a FIFO or device, never one another user could have written,
 * never larger than we expect (the pam-u2f cfg.c open_safely idea).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "support/safe_open.h"
#include "wipe.h"

int sspr_open_safely(int dirfd, const char *path, uid_t owner, size_t max_bytes)
{
    struct stat sb;
    int fd, flags, e;

    if (path == NULL || *path == '\0') {
        errno = EINVAL;
        return -1;
    }
    /* O_NONBLOCK so that a FIFO planted at the path cannot hang open();
     * it is cleared again once we know this is a regular file. */
    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1; /* ELOOP for a symlink, ENOENT, EACCES... */
    if (fstat(fd, &sb) != 0)
        goto fail;
    if (!S_ISREG(sb.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if (sb.st_uid != owner || (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        errno = EPERM;
        goto fail;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > (uintmax_t)max_bytes) {
        errno = EFBIG;
        goto fail;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        goto fail;
    return fd;

fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

int sspr_read_all_fd(int fd, size_t max_bytes, char **out, size_t *out_len)
{
    struct stat sb;
    size_t cap, len = 0;
    char *buf;

    if (out == NULL || out_len == NULL || max_bytes >= SIZE_MAX - 1) {
        errno = EINVAL;
        return -1;
    }
    *out = NULL;
    *out_len = 0;
    /* Size the buffer from fstat, but trust only what read() returns: the
     * file may change under us. One spare byte detects "more than max". */
    cap = 4096;
    if (fstat(fd, &sb) == 0 && sb.st_size > 0 && (uintmax_t)sb.st_size < max_bytes)
        cap = (size_t)sb.st_size + 2;
    if (cap > max_bytes + 2)
        cap = max_bytes + 2;
    buf = malloc(cap);
    if (buf == NULL)
        return -1;

    for (;;) {
        ssize_t n;

        if (len + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nbuf;

            if (ncap > max_bytes + 2)
                ncap = max_bytes + 2;
            if (ncap <= cap) {
                /* Already at max_bytes + 1 readable bytes: too big. */
                errno = EFBIG;
                goto fail;
            }
            /* Not realloc: the old block may hold secrets and must be wiped. */
            nbuf = malloc(ncap);
            if (nbuf == NULL)
                goto fail;
            memcpy(nbuf, buf, len);
            sspr_wipe(buf, cap);
            free(buf);
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max_bytes) {
            errno = EFBIG;
            goto fail;
        }
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;

fail: {
        int e = errno;

        sspr_wipe(buf, cap);
        free(buf);
        errno = e;
        return -1;
    }
}

int sspr_read_file_safely(const char *path, uid_t owner, size_t max_bytes, char **out,
                          size_t *out_len, char *err, size_t errlen)
{
    int fd = sspr_open_safely(AT_FDCWD, path, owner, max_bytes), saved;

    *out = NULL;
    if (fd < 0) {
        saved = errno;
        switch (saved) {
        case ELOOP:
            sspr_set_err(err, errlen, "%s: is a symbolic link (refused)", path);
            break;
        case EPERM:
            sspr_set_err(err, errlen, "%s: must be owned by %s and not writable by group or others",
                         path, owner == 0 ? "root" : "this user");
            break;
        case EFBIG:
            sspr_set_err(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
            break;
        case EINVAL:
            sspr_set_err(err, errlen, "%s: not a regular file", path);
            break;
        default:
            sspr_set_err(err, errlen, "%s: %s", path, strerror(saved));
            break;
        }
        errno = saved;
        return -1;
    }
    if (sspr_read_all_fd(fd, max_bytes, out, out_len) != 0) {
        saved = errno;
        sspr_set_err(err, errlen, "%s: %s", path, strerror(saved));
        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    return 0;
}

int sspr_read_ca_file(const char *what, const char *path, char **out, size_t *out_len, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

    *out = NULL;
    if (fd < 0 || sspr_read_all_fd(fd, 512 * 1024, out, out_len) != 0) {
        sspr_set_err(err, errlen, "%s %s cannot be read: %s", what, path,
                     fd < 0 ? strerror(errno) : "too large or unreadable");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (memchr(*out, '\0', *out_len) != NULL) {
        sspr_set_err(err, errlen, "%s %s is not a PEM text file", what, path);
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
