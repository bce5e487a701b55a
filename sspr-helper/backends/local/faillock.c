/*
 * pam_faillock's tally for local accounts: whether failed sign-ins locked
 * the account, and lifting that lock (docs/architecture.md, "Self-service
 * unlock").
 *
 * pam_faillock keeps one file per user, DIR/USER (dir = /var/run/faillock
 * unless /etc/security/faillock.conf says otherwise), an array of 64-byte
 * records (source, status, time of a failure), written under flock(). The
 * account is locked while at least `deny` valid failures lie within
 * `fail_interval` of the latest one, until `unlock_time` after it (0: until
 * an admin resets it). `faillock --user USER --reset` truncates the file;
 * so does sspr_local_faillock_reset, under the same flock, without running
 * a program. An admin's lock (`usermod -L`, a '!' hash) is not in the
 * tally: resolve refuses such an account before any gate, and nothing here
 * touches /etc/shadow.
 *
 * Only the settings of faillock.conf are read; deny=, dir=, fail_interval=
 * or unlock_time= given on a pam_faillock line are not (doctor warns).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/local/local.h"
#include "support/text.h"

#ifndef SSPR_FAILLOCK_CONF
#define SSPR_FAILLOCK_CONF "/etc/security/faillock.conf"
#endif

#define TALLY_STATUS_VALID 0x1
#define MAX_RECORDS 1024 /* pam_faillock keeps at most this many */

/* pam_faillock's record (faillock.h), 64 bytes. */
struct tally {
    char source[52];
    uint16_t reserved;
    uint16_t status;
    uint64_t time;
};
_Static_assert(sizeof(struct tally) == 64, "pam_faillock's tally record is 64 bytes");

struct faillock_conf {
    char dir[PATH_MAX];
    long deny;
    long fail_interval;
    long unlock_time;
};

static int number(const char *s, long *out)
{
    char *end = NULL;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* pam_faillock's defaults, then what faillock.conf sets (a bad value keeps
 * the default, as pam_faillock does). */
static void read_conf(struct faillock_conf *c)
{
    char line[1024];
    FILE *f;

    snprintf(c->dir, sizeof(c->dir), "/var/run/faillock");
    c->deny = 3;
    c->fail_interval = 900;
    c->unlock_time = 600;
    f = fopen(SSPR_FAILLOCK_CONF, "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *hash = strchr(line, '#'), *eq, *key, *val;
        long v;

        if (hash != NULL)
            *hash = '\0';
        eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        key = sspr_trim(line);
        val = sspr_trim(eq + 1);
        if (strcmp(key, "dir") == 0 && val[0] == '/')
            snprintf(c->dir, sizeof(c->dir), "%s", val);
        else if (strcmp(key, "deny") == 0 && number(val, &v) == 0)
            c->deny = v;
        else if (strcmp(key, "fail_interval") == 0 && number(val, &v) == 0)
            c->fail_interval = v;
        else if (strcmp(key, "unlock_time") == 0) {
            if (strcmp(val, "never") == 0)
                c->unlock_time = 0;
            else if (number(val, &v) == 0)
                c->unlock_time = v;
        }
    }
    fclose(f);
}

/* Open DIR/USER (no create, no symlink), a regular file, under flock.
 * -ENOENT when there is none (nothing ever failed). */
static int open_tally(const struct faillock_conf *c, const char *user, int writable)
{
    char path[PATH_MAX];
    struct stat st;
    int fd;

    if (!sspr_username_ok(user) ||
        snprintf(path, sizeof(path), "%s/%s", c->dir, user) >= (int)sizeof(path))
        return -EINVAL;
    fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    while (flock(fd, writable ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    return fd;
}

int sspr_local_faillock_locked(const char *user, time_t now)
{
    struct faillock_conf c;
    struct tally t[64];
    uint64_t latest = 0;
    long failures = 0;
    unsigned seen = 0;
    ssize_t n;
    int fd;

    read_conf(&c);
    if (c.deny <= 0)
        return 0;
    fd = open_tally(&c, user, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return SSPR_ERR_IO;
    /* two passes, as pam_faillock counts: the latest failure, then those
     * within fail_interval of it */
    for (int pass = 0; pass < 2; pass++) {
        if (lseek(fd, 0, SEEK_SET) != 0) {
            close(fd);
            return SSPR_ERR_IO;
        }
        seen = 0;
        while (seen < MAX_RECORDS && (n = read(fd, t, sizeof(t))) > 0) {
            for (size_t i = 0; i < (size_t)n / sizeof(t[0]) && seen < MAX_RECORDS; i++, seen++) {
                if (!(t[i].status & TALLY_STATUS_VALID))
                    continue;
                if (pass == 0 && t[i].time > latest)
                    latest = t[i].time;
                else if (pass == 1 && latest - t[i].time < (uint64_t)c.fail_interval)
                    failures++;
            }
        }
    }
    close(fd);
    if (failures < c.deny)
        return 0;
    if (c.unlock_time > 0 && (uint64_t)now > latest + (uint64_t)c.unlock_time)
        return 0; /* it has run out */
    return 1;
}

int sspr_local_faillock_reset(const char *user)
{
    struct faillock_conf c;
    int fd, rc = SSPR_OK;

    read_conf(&c);
    fd = open_tally(&c, user, 1);
    if (fd == -ENOENT)
        return SSPR_OK;
    if (fd < 0)
        return SSPR_ERR_IO;
    if (ftruncate(fd, 0) != 0 || fsync(fd) != 0)
        rc = SSPR_ERR_IO;
    close(fd);
    return rc;
}
