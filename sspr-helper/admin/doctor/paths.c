/* File and directory checks shared by the doctor's families. */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/doctor/checks.h"

void sspr_doctor_mode_str(mode_t m, char *buf, size_t len)
{
    snprintf(buf, len, "%04o", (unsigned)(m & 07777));
}

/* Owner root, not group/world writable (a sticky directory does not make a
 * writable one safe here). Returns NULL when fine, else why. */
const char *sspr_doctor_unsafe_stat(const struct stat *sb)
{
    if (sb->st_uid != 0)
        return "not owned by root";
    if (sb->st_mode & S_IWGRP)
        return "group-writable";
    if (sb->st_mode & S_IWOTH)
        return "world-writable";
    return NULL;
}

/* Every directory above path (not path itself): root-owned, not writable by
 * group or others. Returns 0, or -1 with bad/why set. */
int sspr_doctor_parents_safe(const char *path, char *bad, size_t badlen, const char **why)
{
    char buf[PATH_MAX];
    struct stat sb;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        *why = "path too long";
        snprintf(bad, badlen, "%s", path);
        return -1;
    }
    for (;;) {
        char *slash = strrchr(buf, '/');

        if (slash == NULL)
            return 0;
        if (slash == buf)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(buf, &sb) != 0) {
            *why = "cannot be examined";
            snprintf(bad, badlen, "%s", buf);
            return -1;
        }
        if ((*why = sspr_doctor_unsafe_stat(&sb)) != NULL) {
            snprintf(bad, badlen, "%s", buf);
            return -1;
        }
        if (strcmp(buf, "/") == 0)
            return 0;
    }
}

