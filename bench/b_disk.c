/* sspr-bench disk: what the disk under the state directory charges right
 * now for the operations the local store does, so that flows that fsync
 * can be read against it (its fsync latency varies by a factor of ten
 * from one minute to the next on a shared virtual disk). */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static const char body[] = "{\"consecutive\":1,\"failures\":1,\"locked_until\":0,"
                           "\"methods\":{\"totp\":1},\"since\":1700000000}";

/* the store's atomic replace: temp file, write, fsync, rename, fsync dir */
double disk_atomic_write(int dfd)
{
    double t0 = now_us();
    int fd = openat(dfd, "rec.json.tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0 || write(fd, body, sizeof(body) - 1) != (ssize_t)(sizeof(body) - 1) ||
        fsync(fd) != 0 || close(fd) != 0 || renameat(dfd, "rec.json.tmp", dfd, "rec.json") != 0 ||
        fsync(dfd) != 0)
        die("atomic write: %s", strerror(errno));
    return now_us() - t0;
}

static double overwrite_fdatasync(int fd)
{
    double t0 = now_us();

    if (pwrite(fd, body, sizeof(body) - 1, 0) != (ssize_t)(sizeof(body) - 1) || fdatasync(fd) != 0)
        die("overwrite: %s", strerror(errno));
    return now_us() - t0;
}

static double remove_dirsync(int dfd)
{
    int fd = openat(dfd, "gone.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    double t0;

    if (fd < 0 || close(fd) != 0)
        die("create: %s", strerror(errno));
    t0 = now_us();
    if (unlinkat(dfd, "gone.json", 0) != 0 || fsync(dfd) != 0)
        die("remove: %s", strerror(errno));
    return now_us() - t0;
}

static double unlink_only(int dfd)
{
    int fd = openat(dfd, "meta.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    double t0;

    if (fd < 0 || close(fd) != 0)
        die("create: %s", strerror(errno));
    t0 = now_us();
    if (unlinkat(dfd, "meta.json", 0) != 0)
        die("unlink: %s", strerror(errno));
    return now_us() - t0;
}

/* disk DIR ROUNDS (DIR is made, on the same file system as the state) */
int cmd_disk(int ac, char **av)
{
    struct samples a = { 0 }, o = { 0 }, r = { 0 }, m = { 0 };
    int dfd, fd, rounds;

    if (ac != 2)
        die("usage: disk DIR ROUNDS");
    if ((rounds = atoi(av[1])) < 3)
        die("ROUNDS >= 3");
    if (mkdir(av[0], 0700) != 0 && errno != EEXIST)
        die("mkdir %s: %s", av[0], strerror(errno));
    if ((dfd = open(av[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (fd = openat(dfd, "over.json", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        die("%s: %s", av[0], strerror(errno));
    for (int i = 0; i < rounds; i++) {
        samples_add(&a, disk_atomic_write(dfd));
        samples_add(&o, overwrite_fdatasync(fd));
        samples_add(&r, remove_dirsync(dfd));
        samples_add(&m, unlink_only(dfd));
    }
    printf(" the disk under the state directory, now (%d rounds):\n", rounds);
    samples_print("atomic record write (2 fsyncs, as the store)", &a);
    samples_print("overwrite in place + fdatasync (1)", &o);
    samples_print("unlink + directory fsync (as gc, per record)", &r);
    samples_print("unlink alone, no fsync", &m);
    note_summary("disk: atomic record write %.2f ms, unlink+dir fsync %.2f ms, fdatasync %.2f ms "
                 "(medians)",
                 samples_q(&a, .5) / 1000, samples_q(&r, .5) / 1000, samples_q(&o, .5) / 1000);
    close(fd);
    (void)unlinkat(dfd, "over.json", 0);
    (void)unlinkat(dfd, "rec.json", 0);
    close(dfd);
    samples_free(&a);
    samples_free(&o);
    samples_free(&r);
    samples_free(&m);
    return 0;
}
