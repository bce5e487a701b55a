/* The helper's process: start it (checked path, clean signals, only the
 * channel open, a built environment) and reap exactly our pid with a
 * deadline. Never exit() or install signal handlers: we live inside sshd,
 * login or gdm. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_path.h"
#include "module_log.h"
#include "spawn.h"
#include "wire.h"

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

int sspr_child_finish(pam_handle_t *pamh, struct sspr_child *c, int grace_ms,
                      bool debug)
{
    int status = -1;

    if (c->fd >= 0) {
        close(c->fd); /* the helper sees EOF */
        c->fd = -1;
    }
    if (c->pid > 0) {
        int64_t deadline = sspr_now_ms() + (grace_ms > 0 ? grace_ms : 0);
        pid_t r;

        for (;;) {
            r = waitpid_eintr(c->pid, &status, WNOHANG);
            if (r != 0 || sspr_now_ms() >= deadline)
                break;
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            (void)nanosleep(&ts, NULL);
        }
        if (r == 0) {
            SSPR_DEBUG(pamh, debug, "helper pid %ld still running: killing it", (long)c->pid);
            (void)kill(c->pid, SIGKILL);
            r = waitpid_eintr(c->pid, &status, 0);
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
    if (c->sigchld_changed) {
        (void)sigaction(SIGCHLD, &c->old_sigchld, NULL);
        c->sigchld_changed = false;
    }
    return status;
}
