/* Is this path safe to exec as root? Checked before every spawn: the
 * helper runs with root's rights on input from an unauthenticated user. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "helper_path.h"
#include "module_log.h"

/* lstat one path component and check it. */
static int check_node(pam_handle_t *pamh, const char *p, bool want_dir)
{
    struct stat st;

    if (lstat(p, &st) != 0) {
        SSPR_ERR(pamh, "helper path check: %s: %s", p, strerror(errno));
        return -1;
    }
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        SSPR_ERR(pamh, "helper path check: %s: not a %s (symlinks are refused)", p,
                 want_dir ? "directory" : "regular file");
        return -1;
    }
    if (st.st_uid != 0) {
        SSPR_ERR(pamh, "helper path check: %s: not owned by root", p);
        return -1;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        SSPR_ERR(pamh, "helper path check: %s: writable by group or others", p);
        return -1;
    }
    if (!want_dir && (st.st_mode & S_IXUSR) == 0) {
        SSPR_ERR(pamh, "helper path check: %s: not executable", p);
        return -1;
    }
    return 0;
}

int sspr_helper_path_ok(pam_handle_t *pamh, const char *path)
{
    char buf[PATH_MAX];
    size_t n;

    if (path == NULL || path[0] != '/') {
        SSPR_ERR(pamh, "helper path check: not an absolute path");
        return -1;
    }
    n = strlen(path);
    if (n >= sizeof(buf) || path[n - 1] == '/') {
        SSPR_ERR(pamh, "helper path check: bad path %s", path);
        return -1;
    }
    /* no . or .. components: what we check must be what we run */
    for (const char *c = path; *c != '\0';) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
            SSPR_ERR(pamh, "helper path check: %s: . or .. component", path);
            return -1;
        }
        c += len;
        while (*c == '/')
            c++;
    }
    memcpy(buf, path, n + 1);
    if (check_node(pamh, buf, false) != 0)
        return -1;
    /* every parent, up to and including "/" */
    for (;;) {
        char *slash = strrchr(buf, '/');
        while (slash > buf && slash[-1] == '/')
            slash--;
        if (slash == buf) {
            if (check_node(pamh, "/", true) != 0)
                return -1;
            break;
        }
        *slash = '\0';
        if (check_node(pamh, buf, true) != 0)
            return -1;
    }
    return 0;
}
