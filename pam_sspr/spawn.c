/* The helper's process: start it (checked path, clean signals, only the
 * channel open, a built environment) and reap exactly our pid with a
 * deadline. Never exit() or install signal handlers: we live inside sshd,
 * login or gdm. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* glibc 2.36 (Debian 12) wraps pidfd_open and pidfd_send_signal; older
 * ones get the raw syscall (or ENOSYS and the fallback) */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 36))
#define SSPR_HAVE_GLIBC_PIDFD 1
#include <sys/pidfd.h>
#else
#define SSPR_HAVE_GLIBC_PIDFD 0
#endif

#include "helper_path.h"
#include "module_log.h"
#include "spawn.h"
#include "wipe.h"

/* A pidfd for our child: readable once it has exited, and a kill through it
 * can never reach a process that reused the pid. -1 with errno (ENOSYS
 * before Linux 5.3, EPERM under some seccomp filters): the caller falls
 * back to the channel and waitpid. Close-on-exec by definition. */
static int open_pidfd(pid_t pid)
{
#if SSPR_HAVE_GLIBC_PIDFD
    return pidfd_open(pid, 0);
#elif defined(SYS_pidfd_open)
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Runs in the child between fork and execve: async-signal-safe calls only
 * (the host may have threads). Never returns. */
static void child_exec(int cfd, const char *path, char *const argv[], char *const envp[])
{
    struct sigaction sa;
    sigset_t all;
    int t, null;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &sa, NULL); /* SIGKILL/SIGSTOP/RT internals fail harmlessly */
    /* glibc refuses 32/33 (its own); the helper's libc resets those itself */
    sigemptyset(&all);
    (void)sigprocmask(SIG_SETMASK, &all, NULL);
    /* nothing of the host's cwd or umask either */
    if (chdir("/") != 0)
        _exit(127);
    (void)umask(077);

    /* cfd may itself be 0 or 1 when the host runs with those closed: move
     * it above 2 first, as dup2(x, x) would keep the close-on-exec flag. */
    t = fcntl(cfd, F_DUPFD, 3);
    if (t < 0 || dup2(t, STDIN_FILENO) < 0 || dup2(t, STDOUT_FILENO) < 0)
        _exit(127);
    null = open("/dev/null", O_WRONLY | O_NOCTTY);
    if (null < 0)
        _exit(127);
    if (null != STDERR_FILENO && dup2(null, STDERR_FILENO) < 0)
        _exit(127);
    if (close_range(3, ~0U, 0) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > INT_MAX)
            max = 65536;
        for (int fd = 3; fd < (int)max; fd++)
            (void)close(fd);
    }
    execve(path, argv, envp);
    _exit(127);
}

int sspr_spawn(pam_handle_t *pamh, const char *path, const char *config,
               bool debug, struct sspr_child *c)
{
    static char arg0[] = "sspr-helper";
    static char arg1[] = "pam";
    static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    static char env_lc[] = "LC_ALL=C";
    char confarg[PATH_MAX + 16];
    char *argv[4] = { arg0, arg1, NULL, NULL };
    char *envp[] = { env_path, env_lc, NULL };
    struct sigaction dfl;
    int sv[2];
    pid_t pid;

    c->pid = -1;
    c->fd = -1;
    c->pidfd = -1;
    c->sigchld_changed = false;
    if (sspr_helper_path_ok(pamh, path) != 0)
        return -1;
    if (config != NULL) {
        int n = snprintf(confarg, sizeof(confarg), "--config=%s", config);
        if (n < 0 || (size_t)n >= sizeof(confarg)) {
            SSPR_ERR(pamh, "config path too long");
            return -1;
        }
        argv[2] = confarg;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        SSPR_ERR(pamh, "socketpair: %s", strerror(errno));
        return -1;
    }
    /* A host that ignores SIGCHLD gets its children auto-reaped and our
     * waitpid would fail: use the default for the child's lifetime. */
    if (sigaction(SIGCHLD, NULL, &c->old_sigchld) == 0 &&
        ((!(c->old_sigchld.sa_flags & SA_SIGINFO) && c->old_sigchld.sa_handler == SIG_IGN) ||
         (c->old_sigchld.sa_flags & SA_NOCLDWAIT))) {
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        if (sigaction(SIGCHLD, &dfl, NULL) == 0)
            c->sigchld_changed = true;
    }
    pid = fork();
    if (pid < 0) {
        SSPR_ERR(pamh, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        if (c->sigchld_changed)
            (void)sigaction(SIGCHLD, &c->old_sigchld, NULL);
        c->sigchld_changed = false;
        return -1;
    }
    if (pid == 0)
        child_exec(sv[1], path, argv, envp);
    close(sv[1]);
    c->pid = pid;
    c->fd = sv[0];
    /* at once, while the pid cannot have been reaped by anyone */
    c->pidfd = open_pidfd(pid);
    if (c->pidfd < 0)
        SSPR_DEBUG(pamh, debug, "pidfd_open: %s: reaping through the channel", strerror(errno));
    SSPR_DEBUG(pamh, debug, "started helper %s (pid %ld)", path, (long)pid);
    return 0;
}

static pid_t waitpid_eintr(pid_t pid, int *status, int options)
{
    pid_t r;

    do {
        r = waitpid(pid, status, options);
    } while (r < 0 && errno == EINTR);
    return r;
}

static void kill_child(const struct sspr_child *c)
{
#if SSPR_HAVE_GLIBC_PIDFD
    if (c->pidfd >= 0 && pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0) == 0)
        return;
#endif
    /* only called while waitpid says the pid is still our unreaped child,
     * so it cannot have been reused */
    (void)kill(c->pid, SIGKILL);
}

static int64_t now_us(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wait up to deadline (now_us() based) for our child to exit, without
 * reaping anything else. Returns what waitpid returned: the pid, 0 when it
 * is still running at the deadline, -1 on error. */
static pid_t wait_exit_pidfd(const struct sspr_child *c, int *status, int64_t deadline)
{
    for (;;) {
        pid_t r = waitpid_eintr(c->pid, status, WNOHANG);
        int64_t left = deadline - now_us();
        struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

        if (r != 0 || left <= 0)
            return r;
        /* round up: a poll that ends a little early only costs a loop */
        if (poll(&p, 1, (int)((left + 999) / 1000)) < 0 && errno != EINTR)
            return waitpid_eintr(c->pid, status, WNOHANG); /* cannot wait: kill */
    }
}

/* Without a pidfd: the helper's end of the channel closes when it exits,
 * so wait for EOF on ours (draining whatever it still sends), then poll
 * waitpid with a doubling back-off from 50 us for the few microseconds
 * between its last close and its exit. A helper that lives on after
 * closing the channel, or a grandchild that kept it open, waits out the
 * deadline (and the helper is killed). */
static pid_t wait_exit_channel(struct sspr_child *c, int *status, int64_t deadline)
{
    unsigned char scratch[512];
    int64_t backoff = 50;
    bool eof = c->fd < 0;
    pid_t r;

    for (;;) {
        int64_t left;

        r = waitpid_eintr(c->pid, status, WNOHANG);
        left = deadline - now_us();
        if (r != 0 || left <= 0)
            break;
        if (!eof) {
            struct pollfd p = { .fd = c->fd, .events = POLLIN };
            int n = poll(&p, 1, (int)((left + 999) / 1000));
            if (n > 0) {
                ssize_t got = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                                 errno != EINTR))
                    eof = true;
            } else if (n < 0 && errno != EINTR) {
                eof = true; /* cannot watch the channel: back-off alone */
            }
            continue;
        }
        struct timespec ts;
        int64_t nap = backoff < left ? backoff : left;
        ts.tv_sec = (time_t)(nap / 1000000);
        ts.tv_nsec = (long)(nap % 1000000) * 1000;
        (void)nanosleep(&ts, NULL);
        backoff *= 2;
    }
    SSPR_WIPE_ARRAY(scratch);
    return r;
}

int sspr_child_finish(pam_handle_t *pamh, struct sspr_child *c, int grace_ms,
                      bool debug)
{
    int status = -1;

    if (c->fd >= 0) {
        /* the helper sees EOF; without a pidfd we watch for its end */
        if (c->pid > 0 && c->pidfd < 0 && shutdown(c->fd, SHUT_WR) == 0) {
            /* keep the read side open for wait_exit_channel */
        } else {
            close(c->fd);
            c->fd = -1;
        }
    }
    if (c->pid > 0) {
        int64_t deadline = now_us() + (int64_t)(grace_ms > 0 ? grace_ms : 0) * 1000;
        pid_t r = c->pidfd >= 0 ? wait_exit_pidfd(c, &status, deadline)
                                : wait_exit_channel(c, &status, deadline);

        if (r == 0) {
            SSPR_DEBUG(pamh, debug, "helper pid %ld still running: killing it", (long)c->pid);
            kill_child(c);
            r = waitpid_eintr(c->pid, &status, 0); /* SIGKILL: this returns */
        }
        if (r < 0) {
            /* e.g. a host SIGCHLD handler reaped it first */
            SSPR_ERR(pamh, "waitpid %ld: %s", (long)c->pid, strerror(errno));
            status = -1;
        } else if (WIFSIGNALED(status)) {
            SSPR_DEBUG(pamh, debug, "helper pid %ld killed by signal %d", (long)c->pid,
                       WTERMSIG(status));
        } else if (WIFEXITED(status)) {
            SSPR_DEBUG(pamh, debug, "helper pid %ld exited with status %d", (long)c->pid,
                       WEXITSTATUS(status));
        }
        c->pid = -1;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->pidfd >= 0) {
        close(c->pidfd);
        c->pidfd = -1;
    }
    if (c->sigchld_changed) {
        (void)sigaction(SIGCHLD, &c->old_sigchld, NULL);
        c->sigchld_changed = false;
    }
    return status;
}
