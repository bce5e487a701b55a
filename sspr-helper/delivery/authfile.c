/*
 * Root-only credential files. See authfile.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "delivery/authfile.h"
#include "support/safe_open.h"
#include "wipe.h"

void sspr_auth_wipe(struct sspr_auth *a)
{
    if (a != NULL)
        sspr_wipe(a, sizeof(*a));
}

static int parse(const char *text, size_t len, struct sspr_auth *a, unsigned flags, char *err,
                 size_t errlen)
{
    size_t pos = 0;
    int line = 0, seen_user = 0, seen_pass = 0, seen_bearer = 0;

    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos), *eq;
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, kn, vn, i;
        const char *v;
        char *dst;
        size_t dstsize;
        int *seen;

        pos += n + (nl != NULL);
        line++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == 0 || *s == '#' || *s == ';')
            continue;
        for (i = 0; i < n; i++) {
            if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
                sspr_set_err(err, errlen, "line %d: control character", line);
                return -1;
            }
            if (s[i] == 0x7f) {
                sspr_set_err(err, errlen, "line %d: control character", line);
                return -1;
            }
        }
        eq = memchr(s, '=', n);
        if (eq == NULL) {
            sspr_set_err(err, errlen, "line %d: expected key = value", line);
            return -1;
        }
        kn = (size_t)(eq - s);
        while (kn > 0 && (s[kn - 1] == ' ' || s[kn - 1] == '\t'))
            kn--;
        v = eq + 1;
        vn = n - (size_t)(v - s);
        while (vn > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vn--;
        }
        if ((flags & SSPR_AUTH_PASSWORD_ONLY) && !(kn == 8 && memcmp(s, "password", 8) == 0)) {
            sspr_set_err(err, errlen, "line %d: only password = ... belongs in this file", line);
            return -1;
        }
        if (kn == 8 && memcmp(s, "username", 8) == 0) {
            dst = a->username;
            dstsize = sizeof(a->username);
            seen = &seen_user;
        } else if (kn == 8 && memcmp(s, "password", 8) == 0) {
            dst = a->password;
            dstsize = sizeof(a->password);
            seen = &seen_pass;
        } else if (kn == 6 && memcmp(s, "bearer", 6) == 0) {
            dst = a->bearer;
            dstsize = sizeof(a->bearer);
            seen = &seen_bearer;
        } else {
            /* Never echo the line: it may be a secret with a typo. */
            sspr_set_err(err, errlen, "line %d: unknown key (known: username, password, bearer)",
                    line);
            return -1;
        }
        if (*seen) {
            sspr_set_err(err, errlen, "line %d: duplicate key", line);
            return -1;
        }
        *seen = 1;
        if (vn == 0) {
            sspr_set_err(err, errlen, "line %d: empty value", line);
            return -1;
        }
        if (vn >= dstsize) {
            sspr_set_err(err, errlen, "line %d: value too long (at most %zu bytes)", line,
                    dstsize - 1);
            return -1;
        }
        memcpy(dst, v, vn);
        dst[vn] = '\0';
    }
    if (seen_bearer && (seen_user || seen_pass)) {
        sspr_set_err(err, errlen, "use either bearer or username/password, not both");
        return -1;
    }
    if (seen_user != seen_pass && !(flags & SSPR_AUTH_PASSWORD_ONLY)) {
        sspr_set_err(err, errlen, "username and password go together");
        return -1;
    }
    return 0;
}

int sspr_auth_load(const char *path, struct sspr_auth *a, char *err, size_t errlen)
{
    return sspr_auth_load_flags(path, a, 0, err, errlen);
}

int sspr_auth_load_flags(const char *path, struct sspr_auth *a, unsigned flags, char *err,
                         size_t errlen)
{
    struct stat sb;
    char *text = NULL;
    size_t len = 0;
    int fd, rc;

    sspr_set_err(err, errlen, "%s", "");
    if (a == NULL || path == NULL || path[0] != '/') {
        sspr_set_err(err, errlen, "invalid auth_file path");
        return -1;
    }
    sspr_auth_wipe(a);
    fd = sspr_open_safely(AT_FDCWD, path, geteuid(), SSPR_AUTHFILE_MAX_BYTES);
    if (fd < 0) {
        switch (errno) {
        case ELOOP:
            sspr_set_err(err, errlen, "%s: is a symbolic link (refused)", path);
            break;
        case EPERM:
            sspr_set_err(err, errlen, "%s: must be owned by root with mode 0600 or 0400", path);
            break;
        case EFBIG:
            sspr_set_err(err, errlen, "%s: larger than %d bytes", path, SSPR_AUTHFILE_MAX_BYTES);
            break;
        case EINVAL:
            sspr_set_err(err, errlen, "%s: not a regular file", path);
            break;
        default:
            sspr_set_err(err, errlen, "%s: %s", path, strerror(errno));
            break;
        }
        return -1;
    }
    if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0) {
        sspr_set_err(err, errlen, "%s: must be owned by root with mode 0600 or 0400", path);
        close(fd);
        return -1;
    }
    rc = sspr_read_all_fd(fd, SSPR_AUTHFILE_MAX_BYTES, &text, &len);
    close(fd);
    if (rc != 0) {
        sspr_set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        sspr_set_err(err, errlen, "%s: NUL byte", path);
        rc = -1;
    } else {
        char perr[128];

        rc = parse(text, len, a, flags, perr, sizeof(perr));
        if (rc != 0)
            sspr_set_err(err, errlen, "%s: %s", path, perr);
    }
    sspr_wipe(text, len);
    free(text);
    if (rc != 0)
        sspr_auth_wipe(a);
    return rc;
}
