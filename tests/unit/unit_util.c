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
