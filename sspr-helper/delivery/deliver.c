#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delivery/deliver.h"
#include "errbuf.h"
#include "kv.h"
#include "support/err.h"
#include "support/safe_open.h"
#include "wipe.h"

#ifndef SSPR_DELIVER_PATH
#define SSPR_DELIVER_PATH "/usr/libexec/pam_sspr/sspr-deliver"
#endif
#define START_GRACE_S 5
#define CA_MAX_BYTES (512 * 1024)
#define REPLY_MAX 1024

const char *sspr_deliver_program = SSPR_DELIVER_PATH;
int sspr_deliver_check_program = 1;

/* ---- the request ------------------------------------------------------------------ */

void sspr_request_init(struct sspr_request *r)
{
    memset(r, 0, sizeof(*r));
}

void sspr_request_add(struct sspr_request *r, const char *key, const char *value)
{
    size_t need = strlen(key) + strlen(value) + 2;

    if (r->failed)
        return;
    if (r->cap - r->len < need) {
        size_t cap = r->cap ? r->cap : 1024;
        char *nb;

        while (cap - r->len < need)
            cap *= 2;
        /* never realloc: the old buffer holds secrets and must be wiped */
        if ((nb = malloc(cap)) == NULL) {
            r->failed = 1;
            return;
        }
        if (r->len > 0)
            memcpy(nb, r->buf, r->len);
        if (r->buf != NULL) {
            sspr_wipe(r->buf, r->cap);
            free(r->buf);
        }
        r->buf = nb;
        r->cap = cap;
    }
    if (sspr_kv_append(r->buf, r->cap, &r->len, key, value) != 0)
        r->failed = 1;
}

void sspr_request_addl(struct sspr_request *r, const char *key, long value)
{
    char n[32];

    snprintf(n, sizeof(n), "%ld", value);
    sspr_request_add(r, key, n);
}

int sspr_request_add_ca(struct sspr_request *r, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int fd;

    if (path == NULL || path[0] == '\0')
        return 0;
    /* certificates are public: any owner, but never through a symlink */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0 || sspr_read_all_fd(fd, CA_MAX_BYTES, &text, &len) != 0) {
        sspr_set_err(err, errlen, "ca_file %s cannot be read: %s", path,
                     fd < 0 ? strerror(errno) : "too large or unreadable");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (memchr(text, '\0', len) != NULL) {
        sspr_set_err(err, errlen, "ca_file %s is not a PEM text file", path);
        free(text);
        return -1;
    }
    sspr_request_add(r, "ca_pem", text);
    free(text);
    return 0;
}

void sspr_request_free(struct sspr_request *r)
{
    if (r->buf != NULL) {
        sspr_wipe(r->buf, r->cap);
        free(r->buf);
    }
    memset(r, 0, sizeof(*r));
}

/* ---- the program ------------------------------------------------------------------- */

const char *sspr_deliver_user(void)
{
    return getpwnam("_sspr") != NULL ? "_sspr" : "nobody";
}

/* The program and every directory above it: ours (root in production), not
 * writable by group or others. It gets the credentials. */
static int program_safe(const char *path, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    struct stat sb;
    uid_t owner = geteuid();

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) || buf[0] != '/') {
        sspr_set_err(err, errlen, "%s: not an absolute path", path);
        return -1;
    }
    for (;;) {
        if (lstat(buf, &sb) != 0) {
            sspr_set_err(err, errlen, "%s: %s", buf, strerror(errno));
            return -1;
        }
        if ((sb.st_uid != 0 && sb.st_uid != owner) || (sb.st_mode & (S_IWGRP | S_IWOTH)) ||
            S_ISLNK(sb.st_mode)) {
            sspr_set_err(err, errlen, "%s is not owned by root or is writable by others", buf);
            return -1;
        }
        char *slash = strrchr(buf, '/');
        if (slash == buf) {
            if (buf[1] == '\0')
                return 0;
            buf[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
}

/* In the child, where it failed: said as the program's reply would be. */
_Noreturn static void child_fail(const char *what)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "1 the delivery program could not be started (%s: %s)\n",
                     what, strerror(errno));

    if (n > 0)
        (void)!write(STDOUT_FILENO, line, (size_t)n);
    _exit(127);
}

/* In the child: the unprivileged user, nothing inherited, then exec. */
static void child(int fd, const char *path, int drop, uid_t uid, gid_t gid)
{
    static char arg0[] = "sspr-deliver", path_env[] = "PATH=/usr/bin:/bin",
                lang_env[] = "LANG=C.UTF-8";
    char *argv[] = { arg0, NULL }, *envp[] = { path_env, lang_env, NULL };
    struct sigaction sa;
    sigset_t none;
    int null;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        (void)sigaction(s, &sa, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    /* fd may itself be 0 or 1 (a background sender closed them): move it
     * up first, so that both dup2 below make fresh descriptors without
     * close-on-exec */
    if (fd <= STDERR_FILENO && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
        _exit(127);
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
        _exit(127);
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, STDERR_FILENO) < 0)
        child_fail("/dev/null");
    /* both ends were made close-on-exec; the copies on 0 and 1 are not */
    for (int i = 3; i < 1024; i++)
        (void)close(i);
    if (drop && (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
                 setresuid(uid, uid, uid) != 0 || setuid(0) == 0 || geteuid() == 0))
        child_fail("dropping privileges");
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (chdir("/") != 0)
        child_fail("chdir");
    execve(path, argv, envp);
    child_fail(path);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of buf before the deadline. 0 or -1. */
static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
    size_t off = 0;

    while (off < len) {
        struct pollfd p = { fd, POLLOUT, 0 };
        int64_t left = deadline - now_ms();

        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* Read the reply line (to EOF) before the deadline. Its length or -1. */
static ssize_t recv_reply(int fd, char *buf, size_t cap, int64_t deadline)
{
    size_t off = 0;

    while (off + 1 < cap) {
        struct pollfd p = { fd, POLLIN, 0 };
        int64_t left = deadline - now_ms();
        int rc;

        if (left <= 0)
            return -1;
        rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        ssize_t n = recv(fd, buf + off, cap - 1 - off, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        off += (size_t)n;
    }
    buf[off] = '\0';
    return (ssize_t)off;
}

/* Wait for pid until the deadline (a pidfd when the kernel has them, else
 * a short poll): pid when reaped, 0 when it is still running. */
static pid_t reap(pid_t pid, int *status, int64_t deadline)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    pid_t w;

    while ((w = waitpid(pid, status, WNOHANG)) == 0) {
        int64_t left = deadline - now_ms();

        if (left <= 0)
            break;
        if (pfd >= 0) {
            struct pollfd p = { pfd, POLLIN, 0 };
            (void)poll(&p, 1, (int)left);
        } else {
            struct timespec ms = { 0, 500000 };
            nanosleep(&ms, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    return w < 0 ? pid : w;
}

int sspr_deliver(const struct sspr_request *r, int timeout_s, char *err, size_t errlen)
{
    struct passwd *pw = NULL;
    char reply[REPLY_MAX];
    int sv[2], status = 0, drop = geteuid() == 0, rc = SSPR_ERR_UNAVAILABLE;
    int64_t deadline = now_ms() + (int64_t)(timeout_s + START_GRACE_S) * 1000;
    pid_t pid, w;
    ssize_t n;

    sspr_set_err(err, errlen, "%s", "");
    if (r->failed || r->len == 0) {
        sspr_set_err(err, errlen, "out of memory building the request");
        return SSPR_ERR_UNAVAILABLE;
    }
    if (sspr_deliver_check_program && program_safe(sspr_deliver_program, err, errlen) != 0)
        return SSPR_ERR_UNAVAILABLE;
    if (drop && (pw = getpwnam(sspr_deliver_user())) == NULL) {
        sspr_set_err(err, errlen, "no unprivileged user to send as (_sspr or nobody)");
        return SSPR_ERR_UNAVAILABLE;
    }
    if (drop && pw->pw_uid == 0) {
        sspr_set_err(err, errlen, "the delivery user %s is root", pw->pw_name);
        return SSPR_ERR_UNAVAILABLE;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        sspr_set_err(err, errlen, "socketpair: %s", strerror(errno));
        return SSPR_ERR_UNAVAILABLE;
    }
    pid = fork();
    if (pid < 0) {
        sspr_set_err(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return SSPR_ERR_UNAVAILABLE;
    }
    if (pid == 0)
        child(sv[1], sspr_deliver_program, drop, drop ? pw->pw_uid : 0, drop ? pw->pw_gid : 0);
    close(sv[1]);
    if (send_all(sv[0], r->buf, r->len, deadline) != 0 || shutdown(sv[0], SHUT_WR) != 0) {
        sspr_set_err(err, errlen, "the delivery program did not take the request");
        goto reap;
    }
    n = recv_reply(sv[0], reply, sizeof(reply), deadline);
    if (n < 2 || reply[0] < '0' || reply[0] > '2' || reply[1] != ' ') {
        sspr_set_err(err, errlen, n < 0 ? "the delivery program did not answer in time"
                                        : "the delivery program failed to start");
        goto reap;
    }
    reply[strcspn(reply, "\n")] = '\0';
    sspr_set_err(err, errlen, "%s", reply + 2);
    rc = reply[0] == '0' ? SSPR_OK : reply[0] == '2' ? SSPR_ERR_REFUSED : SSPR_ERR_UNAVAILABLE;
reap:
    close(sv[0]);
    w = reap(pid, &status, deadline);
    if (w == 0) {
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (rc == SSPR_OK)
            rc = SSPR_ERR_UNAVAILABLE;
    }
    return rc;
}
