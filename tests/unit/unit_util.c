#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/local/local.h"
#include "unit_util.h"

char *unit_tmpdir(void)
{
    static char buf[PATH_MAX];
    const char *base = getenv("TMPDIR");

    if (base == NULL || base[0] != '/')
        base = "/tmp";
    snprintf(buf, sizeof(buf), "%s/sspr-unit-XXXXXX", base);
    if (mkdtemp(buf) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return buf;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path) == 0 ? 0 : 0;
    chmod(path, 0700);
    return unlink(path) == 0 ? 0 : 0;
}

void unit_rm_rf(const char *path)
{
    chmod(path, 0700);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *unit_path(char *buf, const char *dir, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

int unit_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
    char p[PATH_MAX];
    int fd;

    unit_path(p, dir, name);
    unlink(p);
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (len > 0 && write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

int unit_count_entries(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle) != NULL)
            n++;
    closedir(d);
    return n;
}

int unit_local_open(struct sspr_backend *be, struct sspr_config *cfg, const char *dir, int create)
{
    snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", dir);
    return sspr_backend_open(be, cfg, create ? SSPR_BACKEND_CREATE : 0);
}

struct sspr_store *unit_local_store(struct sspr_backend *be)
{
    return sspr_local_store(be);
}

const struct sspr_subject *unit_subject(const char *key)
{
    static struct sspr_subject ring[4];
    static unsigned next;
    struct sspr_subject *s = &ring[next++ % 4];

    snprintf(s->key, sizeof(s->key), "%s", key);
    return s;
}

int unit_throttle_key(struct sspr_backend *be, long uid, const char *name, char *key, size_t len)
{
    struct sspr_account acct;
    struct sspr_subject s;
    int rc;

    memset(&acct, 0, sizeof(acct));
    if (uid >= 0) {
        acct.known = 1;
        acct.uid = (uid_t)uid;
    }
    rc = sspr_be_subject(be, uid >= 0 ? &acct : NULL, name, &s);
    if (rc == SSPR_OK && strlen(s.key) >= len)
        rc = SSPR_ERR_INVAL;
    snprintf(key, len, "%s", rc == SSPR_OK ? s.key : "");
    return rc;
}
