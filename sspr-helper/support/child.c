/* Starting and stopping the helper's unprivileged programs (child.h). */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "support/child.h"
#include "wire.h"

int sspr_child_check_program = 1;

const char *sspr_child_user(void)
{
    return getpwnam("_sspr") != NULL ? "_sspr" : "nobody";
}

/* The program and every directory above it: ours (root in production), not
 * writable by group or others. It gets credentials. */
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

/* In the child: the unprivileged user, nothing inherited, then exec. A
 * failure exits 127 before anything is read: the parent sees EOF. */
_Noreturn static void child(int fd, const char *path, const char *name, int drop, uid_t uid,
                            gid_t gid)
{
    static char path_env[] = "PATH=/usr/bin:/bin", lang_env[] = "LANG=C.UTF-8";
    char arg0[64];
    char *argv[] = { arg0, NULL }, *envp[] = { path_env, lang_env, NULL };
    struct sigaction sa;
    sigset_t none;
    int null;

    snprintf(arg0, sizeof(arg0), "%s", name);
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
        _exit(127);
    /* both ends were made close-on-exec; the copies on 0 and 1 are not */
    for (int i = 3; i < 1024; i++)
        (void)close(i);
    if (drop && (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
                 setresuid(uid, uid, uid) != 0 || setuid(0) == 0 || geteuid() == 0))
        _exit(127);
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (chdir("/") != 0)
        _exit(127);
    execve(path, argv, envp);
    _exit(127);
}

int sspr_child_start(const char *path, const char *name, struct sspr_child *c, char *err,
                     size_t errlen)
{
    struct passwd *pw = NULL;
    int sv[2], drop = geteuid() == 0;
    pid_t pid;

    c->pid = -1;
    c->fd = -1;
    if (sspr_child_check_program && program_safe(path, err, errlen) != 0)
        return -1;
    if (drop && (pw = getpwnam(sspr_child_user())) == NULL) {
        sspr_set_err(err, errlen, "no unprivileged user to run %s as (_sspr or nobody)", name);
        return -1;
    }
    if (drop && pw->pw_uid == 0) {
        sspr_set_err(err, errlen, "the user %s is root", pw->pw_name);
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        sspr_set_err(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        sspr_set_err(err, errlen, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0)
        child(sv[1], path, name, drop, drop ? pw->pw_uid : 0, drop ? pw->pw_gid : 0);
    close(sv[1]);
    c->pid = pid;
    c->fd = sv[0];
    return 0;
}

/* Wait for pid until the deadline (a pidfd when the kernel has them, else
 * a short poll): pid when reaped, 0 when it is still running. */
static pid_t reap(pid_t pid, int *status, int64_t deadline)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    pid_t w;

    while ((w = waitpid(pid, status, WNOHANG)) == 0) {
        int64_t left = deadline - sspr_now_ms();

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

int sspr_child_stop(struct sspr_child *c, int64_t deadline_ms)
{
    int status = 0, clean = 0;

    if (c->fd >= 0)
        close(c->fd);
    if (c->pid > 0) {
        if (reap(c->pid, &status, deadline_ms) == 0) {
            (void)kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
        } else {
            clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
    }
    c->fd = -1;
    c->pid = -1;
    return clean;
}
