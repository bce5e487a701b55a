/*
 * Local state: one JSON object per key in a directory that only we can
 * reach. Every name is resolved relative to the directory fd, never through
 * a symlink; records are replaced atomically so a crash or a full disk
 * leaves either the old or the new record, never a torn one; anything odd
 * about a record is reported as corrupt so that the caller fails closed for
 * that key only (google-authenticator #177).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "backends/local/store.h"
#include "support/safe_open.h"
#include "wipe.h"

#define KEY_MAX 64
#define NAME_MAX_LEN (KEY_MAX + 32)   /* "<key>.json.tmp.XXXXXX" and friends */
#define TMP_TRIES 8
/* how a waiter for a lock looks at its deadline: see lock_wait */
#define LOCK_WAKE_SIGNAL SIGRTMIN
#define LOCK_TICK_MS 10

static int key_ok(const char *key)
{
    size_t n = 0;

    if (key == NULL)
        return 0;
    for (; key[n] != '\0'; n++) {
        char ch = key[n];

        if (n >= KEY_MAX || !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return 0;
    }
    return n > 0;
}

static int make_name(char *buf, size_t len, const char *key, const char *suffix)
{
    int n = snprintf(buf, len, "%s%s", key, suffix);

    return n > 0 && (size_t)n < len ? 0 : -1;
}

int sspr_store_open(struct sspr_store *st, const char *dir, int create)
{
    struct stat sb;
    int fd;

    if (st == NULL)
        return SSPR_ERR_INVAL;
    st->dirfd = -1;
    st->owner = geteuid();
    if (dir == NULL || dir[0] != '/')
        return SSPR_ERR_INVAL;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        /* 0700 whatever the umask: umask can only take bits away. */
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return SSPR_ERR_IO;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        if (errno == ENOENT)
            return SSPR_ERR_NOENT;
        if (errno == ELOOP || errno == ENOTDIR)
            return SSPR_ERR_UNSAFE; /* a symlink or not a directory */
        return SSPR_ERR_IO;
    }
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return SSPR_ERR_IO;
    }
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != st->owner || (sb.st_mode & 077) != 0) {
        close(fd);
        return SSPR_ERR_UNSAFE;
    }
    st->dirfd = fd;
    return SSPR_OK;
}

void sspr_store_close(struct sspr_store *st)
{
    if (st != NULL && st->dirfd >= 0) {
        close(st->dirfd);
        st->dirfd = -1;
    }
}

static long long ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - t0->tv_sec) * 1000LL + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void wake_up(int sig)
{
    (void)sig; /* only there to make flock() return EINTR */
}

/* The way back when no timer can be had (RLIMIT_SIGPENDING exhausted, say):
 * try again after naps of 50 us growing to 1 ms, up to the deadline. */
static int lock_poll(int fd, const struct timespec *t0, int timeout_ms)
{
    long pause_ns = 50000L;

    for (;;) {
        struct timespec ts = { 0, pause_ns };

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return SSPR_OK;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return SSPR_ERR_IO;
        if (ms_since(t0) >= timeout_ms)
            return SSPR_ERR_LOCK;
        nanosleep(&ts, NULL);
        pause_ns = pause_ns * 2 < 1000000L ? pause_ns * 2 : 1000000L;
    }
}

/* Block on the lock until it is ours or the deadline passes. A blocked
 * flock() gets the lock the moment its holder lets go (polling would add
 * up to a nap to every hand-over, and sixteen waiters on one record pay
 * that fifteen times); flock has no timeout, so a periodic timer's signal,
 * sent to this thread only, interrupts it to look at the clock. The signal
 * is unblocked and handled only while the timer lives: a tick is handled
 * as soon as it is raised, and timer_delete discards any still queued, so
 * none arrives once the old disposition is back. The disposition is the
 * process's: two threads must not wait at once (the helper has one). */
static int lock_wait(int fd, const struct timespec *t0, int timeout_ms)
{
    struct sigaction sa, old_sa;
    struct sigevent sev;
    struct itimerspec tick;
    sigset_t wake, old_mask;
    timer_t timer;
    int rc = SSPR_ERR_IO, no_timer = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wake_up; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    if (sigaction(LOCK_WAKE_SIGNAL, &sa, &old_sa) != 0)
        return lock_poll(fd, t0, timeout_ms);
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = LOCK_WAKE_SIGNAL;
    sev._sigev_un._tid = gettid(); /* glibc names no field for it */
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) {
        (void)sigaction(LOCK_WAKE_SIGNAL, &old_sa, NULL);
        return lock_poll(fd, t0, timeout_ms);
    }
    sigemptyset(&wake);
    sigaddset(&wake, LOCK_WAKE_SIGNAL);
    (void)pthread_sigmask(SIG_UNBLOCK, &wake, &old_mask);
    memset(&tick, 0, sizeof(tick));
    tick.it_value.tv_nsec = LOCK_TICK_MS * 1000000L;
    tick.it_interval = tick.it_value;
    if (timer_settime(timer, 0, &tick, NULL) != 0) {
        no_timer = 1;
    } else {
        for (;;) {
            if (flock(fd, LOCK_EX) == 0) {
                rc = SSPR_OK;
                break;
            }
            if (errno != EINTR) {
                rc = SSPR_ERR_IO;
                break;
            }
            if (ms_since(t0) >= timeout_ms) {
                rc = SSPR_ERR_LOCK;
                break;
            }
        }
    }
    (void)timer_delete(timer);
    (void)pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    (void)sigaction(LOCK_WAKE_SIGNAL, &old_sa, NULL);
    return no_timer ? lock_poll(fd, t0, timeout_ms) : rc;
}

int sspr_store_lock(struct sspr_store *st, const char *key, int timeout_ms)
{
    char name[NAME_MAX_LEN];
    struct timespec t0;
    struct stat sb;
    int fd, rc;

    if (st == NULL || st->dirfd < 0 || !key_ok(key) || make_name(name, sizeof(name), key, ".lock"))
        return SSPR_ERR_INVAL;
    /* Lock files stay in place: unlinking one while another process waits
     * on it would let two holders in. */
    fd = openat(st->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                0600);
    if (fd < 0)
        return errno == ELOOP ? SSPR_ERR_CORRUPT : SSPR_ERR_IO;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return SSPR_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_uid != st->owner) {
        close(fd);
        return SSPR_ERR_CORRUPT;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd; /* the common case: nobody else holds it */
    if (errno != EWOULDBLOCK && errno != EINTR)
        rc = SSPR_ERR_IO;
    else if (timeout_ms <= 0)
        rc = SSPR_ERR_LOCK;
    else
        rc = lock_wait(fd, &t0, timeout_ms);
    if (rc == SSPR_OK)
        return fd;
    close(fd);
    return rc;
}

void sspr_store_unlock(int lockfd)
{
    if (lockfd >= 0) {
        (void)flock(lockfd, LOCK_UN);
        close(lockfd);
    }
}

/* The bytes of "<key><suffix>": not a symlink, a regular file, ours, not
 * writable by others, capped. *buf is malloc'd (NUL-terminated). */
int sspr_store_read_text(struct sspr_store *st, const char *key, const char *suffix, char **buf,
                         size_t *len)
{
    char name[NAME_MAX_LEN];
    int fd;

    *buf = NULL;
    *len = 0;
    if (st == NULL || st->dirfd < 0 || !key_ok(key) || make_name(name, sizeof(name), key, suffix))
        return SSPR_ERR_INVAL;
    fd = sspr_open_safely(st->dirfd, name, st->owner, SSPR_STORE_MAX_RECORD);
    if (fd < 0) {
        switch (errno) {
        case ENOENT:
            return SSPR_ERR_NOENT;
        case ELOOP:
        case EPERM:
        case EFBIG:
        case EINVAL:
            return SSPR_ERR_CORRUPT;
        default:
            return SSPR_ERR_IO;
        }
    }
    if (sspr_read_all_fd(fd, SSPR_STORE_MAX_RECORD, buf, len) != 0) {
        int e = errno;

        close(fd);
        return e == EFBIG ? SSPR_ERR_CORRUPT : SSPR_ERR_IO;
    }
    close(fd);
    return SSPR_OK;
}

int sspr_store_read(struct sspr_store *st, const char *key, json_t **out)
{
    json_error_t jerr;
    char *buf = NULL;
    size_t len = 0;
    json_t *obj;
    int rc;

    if (out == NULL)
        return SSPR_ERR_INVAL;
    *out = NULL;
    rc = sspr_store_read_text(st, key, ".json", &buf, &len);
    if (rc != SSPR_OK)
        return rc;
    if (len == 0) {
        free(buf);
        return SSPR_ERR_CORRUPT;
    }
    /* Duplicate keys could hide a second value from a reviewer; NUL inside
     * strings stays refused (no JSON_ALLOW_NUL). */
    obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    sspr_wipe(buf, len); /* records hold secrets (TOTP keys) */
    free(buf);
    if (obj == NULL)
        return SSPR_ERR_CORRUPT;
    if (!json_is_object(obj)) {
        json_decref(obj);
        return SSPR_ERR_CORRUPT;
    }
    *out = obj;
    return SSPR_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int open_temp(struct sspr_store *st, const char *key, const char *suffix, char *tmp,
                     size_t tmplen)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int i;

    for (i = 0; i < TMP_TRIES; i++) {
        char rnd[7];
        size_t j;
        int fd, n;

        for (j = 0; j < 6; j++)
            rnd[j] = chars[randombytes_uniform((uint32_t)(sizeof(chars) - 1))];
        rnd[6] = '\0';
        n = snprintf(tmp, tmplen, "%s%s.tmp.%s", key, suffix, rnd);
        if (n < 0 || (size_t)n >= tmplen)
            return -1;
        fd = openat(st->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int sspr_store_write(struct sspr_store *st, const char *key, const json_t *obj)
{
    return sspr_store_write_flags(st, key, obj, 0);
}

int sspr_store_write_text(struct sspr_store *st, const char *key, const char *suffix,
                          const char *text, size_t len, unsigned flags)
{
    char name[NAME_MAX_LEN], tmp[NAME_MAX_LEN];
    int fd;

    if (st == NULL || st->dirfd < 0 || !key_ok(key) || make_name(name, sizeof(name), key, suffix))
        return SSPR_ERR_INVAL;
    /* Never write what we would refuse to read back. */
    if (len == 0 || len > SSPR_STORE_MAX_RECORD)
        return SSPR_ERR_IO;
    fd = open_temp(st, key, suffix, tmp, sizeof(tmp));
    if (fd < 0)
        return SSPR_ERR_IO;
    if (write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        close(fd);
        goto unlink_tmp;
    }
    if (close(fd) != 0)
        goto unlink_tmp;
    if (renameat(st->dirfd, tmp, st->dirfd, name) != 0)
        goto unlink_tmp;
    /* The rename is durable only once the directory is. If this fails the
     * new record is already in place; report it so the caller knows the
     * state may not survive a crash. A lazy write skips it: after a crash
     * the old record or the new one is there, whole, and either is fine. */
    return (flags & SSPR_STORE_LAZY) || fsync(st->dirfd) == 0 ? SSPR_OK : SSPR_ERR_IO;

unlink_tmp:
    (void)unlinkat(st->dirfd, tmp, 0);
    return SSPR_ERR_IO;
}

int sspr_store_write_flags(struct sspr_store *st, const char *key, const json_t *obj,
                           unsigned flags)
{
    char *text;
    size_t len;
    int rc;

    if (!json_is_object(obj))
        return SSPR_ERR_INVAL;
    text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return SSPR_ERR_IO;
    len = strlen(text);
    rc = sspr_store_write_text(st, key, ".json", text, len, flags);
    sspr_wipe(text, len);
    free(text);
    return rc;
}

int sspr_store_remove(struct sspr_store *st, const char *key)
{
    return sspr_store_remove_flags(st, key, 0);
}

int sspr_store_sync(struct sspr_store *st)
{
    if (st == NULL || st->dirfd < 0)
        return SSPR_ERR_INVAL;
    return fsync(st->dirfd) == 0 ? SSPR_OK : SSPR_ERR_IO;
}

int sspr_store_remove_text(struct sspr_store *st, const char *key, const char *suffix,
                           unsigned flags)
{
    char name[NAME_MAX_LEN];

    if (st == NULL || st->dirfd < 0 || !key_ok(key) || make_name(name, sizeof(name), key, suffix))
        return SSPR_ERR_INVAL;
    if (unlinkat(st->dirfd, name, 0) != 0) {
        if (errno == ENOENT)
            return SSPR_OK;
        return errno == EISDIR ? SSPR_ERR_CORRUPT : SSPR_ERR_IO;
    }
    return (flags & SSPR_STORE_LAZY) || fsync(st->dirfd) == 0 ? SSPR_OK : SSPR_ERR_IO;
}

int sspr_store_remove_flags(struct sspr_store *st, const char *key, unsigned flags)
{
    return sspr_store_remove_text(st, key, ".json", flags);
}
