/*
 * tracepre.so: time stamps for bench/inside.sh's "where the time goes"
 * passes (docs/benchmarks.md). Preloaded through /etc/ld.so.preload inside
 * the sandbox only, and only for those passes (the measured rounds run
 * without it). It is active only while the directory /run/sspr-bench/trace
 * exists, and only in a process whose executable is sspr-helper (every call
 * below), sspr-ldap (its libldap calls: connect, StartTLS and the TLS
 * handshake, bind, searches, modifies) or sspr-bench (the driver's marks,
 * and what pam_sspr does inside it: fork, send/recv, poll); elsewhere each
 * wrapper is one branch.
 *
 * Each event is CLOCK_MONOTONIC in microseconds (the driver's clock) and a
 * name with two numbers, kept in memory and appended to
 * /run/sspr-bench/trace/PID at exit (or when the buffer is full), so the
 * stamping costs no system call. bench/trace.py reads the files.
 *
 * Not part of any installed program; built by `make bench`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TRACE_DIR "/run/sspr-bench/trace"
#define MAX_EV 16384

enum { OFF, HELPER, DRIVER, LDAPC };

struct ev {
    double t;
    const char *what;
    long a, b;
};

static int mode = OFF;
static pid_t me;
static struct ev evs[MAX_EV];
static int nev;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void flush(void)
{
    char path[64], line[160];
    int fd;

    if (mode == OFF || nev == 0)
        return;
    snprintf(path, sizeof(path), TRACE_DIR "/%ld", (long)me);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        for (int i = 0; i < nev; i++) {
            int n = snprintf(line, sizeof(line), "%.3f %s %ld %ld\n", evs[i].t, evs[i].what,
                             evs[i].a, evs[i].b);
            if (n > 0 && write(fd, line, (size_t)n) < 0)
                break;
        }
        close(fd);
    }
    nev = 0;
}

static void ev(const char *what, long a, long b)
{
    double t;

    if (mode == OFF)
        return;
    t = now();
    if (nev == MAX_EV)
        flush();
    evs[nev].t = t;
    evs[nev].what = what;
    evs[nev].a = a;
    evs[nev].b = b;
    nev++;
}

/* a forked child logs nothing (the helper's own children, the module's
 * child before it execs the helper) */
static void in_child(void)
{
    nev = 0;
    mode = OFF;
}

__attribute__((constructor)) static void start(void)
{
    char exe[256];
    ssize_t n;
    const char *base;
    int saved = errno;

    if (access(TRACE_DIR, W_OK) != 0 ||
        (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
        errno = saved;
        return;
    }
    exe[n] = '\0';
    base = strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1 : exe;
    if (strcmp(base, "sspr-helper") == 0)
        mode = HELPER;
    else if (strcmp(base, "sspr-bench") == 0)
        mode = DRIVER;
    else if (strcmp(base, "sspr-ldap") == 0)
        mode = LDAPC;
    if (mode != OFF) {
        me = getpid();
        pthread_atfork(NULL, NULL, in_child);
        ev("ctor", 0, 0);
    }
    errno = saved;
}

__attribute__((destructor)) static void stop(void)
{
    ev("exit", 0, 0);
    flush();
}

#define REAL(ret, name, ...)                                                                       \
    static ret (*real_##name)(__VA_ARGS__);                                                        \
    if (real_##name == NULL)                                                                       \
    real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* ---- the helper's start ---- */

static int (*real_main)(int, char **, char **);

static int main_hook(int argc, char **argv, char **envp)
{
    ev("main", 0, 0);
    return real_main(argc, argv, envp);
}

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    REAL(int, __libc_start_main, int (*)(int, char **, char **), int, char **, void (*)(void),
         void (*)(void), void (*)(void), void *);
    real_main = main;
    return real___libc_start_main(main_hook, argc, argv, init, fini, rtld_fini, stack_end);
}

void _exit(int status)
{
    REAL(void, _exit, int);
    ev("exit", status, 0);
    flush();
    real__exit(status);
    abort();
}

/* ---- the channel: frames are 4 bytes of length, 1 of type, the payload ---- */

static long frame_type(const void *buf, size_t len)
{
    return len >= 5 ? ((const unsigned char *)buf)[4] : -1;
}

/* stamped before the call: once the peer has the bytes, this process may
 * not run again for a while */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(ssize_t, send, int, const void *, size_t, int);

    ev("send", (long)len, frame_type(buf, len));
    return real_send(fd, buf, len, flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    REAL(ssize_t, recv, int, void *, size_t, int);
    ssize_t r = real_recv(fd, buf, len, flags);

    ev("recv", (long)r, r >= 5 ? frame_type(buf, (size_t)r) : -1);
    return r;
}

ssize_t read(int fd, void *buf, size_t len)
{
    REAL(ssize_t, read, int, void *, size_t);
    ssize_t r = real_read(fd, buf, len);

    if (fd <= 1)
        ev("recv", (long)r, r >= 5 ? frame_type(buf, (size_t)r) : -1);
    return r;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    REAL(ssize_t, write, int, const void *, size_t);

    if (fd <= 1)
        ev("send", (long)len, frame_type(buf, len));
    return real_write(fd, buf, len);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    REAL(int, poll, struct pollfd *, nfds_t, int);
    int r;

    ev("poll+", n > 0 ? fds[0].fd : -1, timeout);
    r = real_poll(fds, n, timeout);
    ev("poll-", r, 0);
    return r;
}

pid_t fork(void)
{
    REAL(pid_t, fork, void);
    pid_t p;

    ev("fork", 0, 0);
    p = real_fork();
    if (p != 0)
        ev("forked", (long)p, 0);
    return p;
}

/* ---- what the helper waits for ---- */

struct passwd *getpwnam(const char *name)
{
    REAL(struct passwd *, getpwnam, const char *);
    struct passwd *p;

    ev("nss+", 1, 0);
    p = real_getpwnam(name);
    ev("nss-", 1, 0);
    return p;
}

struct spwd *getspnam(const char *name)
{
    REAL(struct spwd *, getspnam, const char *);
    struct spwd *p;

    ev("nss+", 2, 0);
    p = real_getspnam(name);
    ev("nss-", 2, 0);
    return p;
}

int getgrnam_r(const char *name, struct group *g, char *buf, size_t len, struct group **out)
{
    REAL(int, getgrnam_r, const char *, struct group *, char *, size_t, struct group **);
    int r;

    ev("nss+", 3, 0);
    r = real_getgrnam_r(name, g, buf, len, out);
    ev("nss-", 3, 0);
    return r;
}

int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    REAL(int, getgrouplist, const char *, gid_t, gid_t *, int *);
    int r;

    ev("nss+", 4, 0);
    r = real_getgrouplist(user, group, groups, ngroups);
    ev("nss-", 4, 0);
    return r;
}

int sodium_init(void)
{
    REAL(int, sodium_init, void);
    int r;

    ev("sodium+", 0, 0);
    r = real_sodium_init();
    ev("sodium-", 0, 0);
    return r;
}

void *dlopen(const char *file, int flags)
{
    REAL(void *, dlopen, const char *, int);
    void *h;

    ev("dlopen+", 0, 0);
    h = real_dlopen(file, flags);
    ev("dlopen-", 0, 0);
    return h;
}

/* 1 for a throttle record's lock file, 2 for a user record's, 0 else */
static long lock_kind(int fd)
{
    char p[64], name[512];
    ssize_t n;

    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    if ((n = readlink(p, name, sizeof(name) - 1)) <= 0)
        return 0;
    name[n] = '\0';
    return strstr(name, "/throttle-") != NULL ? 1 : strstr(name, "/user-") != NULL ? 2 : 0;
}

/* a: fd * 10 + kind (on the first try of a lock only; the kind costs a
 * readlink), b: op * 1000 + errno (0 when it succeeded) */
int flock(int fd, int op)
{
    REAL(int, flock, int, int);
    static int last_fd = -1, last_op = -1;
    long kind = 0;
    int r;

    if (mode != OFF && (fd != last_fd || op != last_op || !(op & LOCK_NB)))
        kind = lock_kind(fd);
    r = real_flock(fd, op);
    ev("flock", (long)fd * 10 + kind, (long)op * 1000 + (r == 0 ? 0 : errno));
    last_fd = fd;
    last_op = r == 0 ? -1 : op;
    return r;
}

int fsync(int fd)
{
    REAL(int, fsync, int);
    int r;

    if (fd < 0) { /* a driver's mark: fsync(-200 - N) */
        ev("mark", (long)(-200 - fd), 0);
        errno = EBADF;
        return -1;
    }
    ev("fsync+", fd, 0);
    r = real_fsync(fd);
    ev("fsync-", fd, 0);
    return r;
}

int fdatasync(int fd)
{
    REAL(int, fdatasync, int);
    int r;

    ev("fsync+", fd, 1);
    r = real_fdatasync(fd);
    ev("fsync-", fd, 1);
    return r;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    REAL(int, nanosleep, const struct timespec *, struct timespec *);
    int r;

    ev("sleep+", req != NULL ? req->tv_nsec / 1000 + req->tv_sec * 1000000L : 0, 0);
    r = real_nanosleep(req, rem);
    ev("sleep-", 0, 0);
    return r;
}

/* ---- sspr-ldap: libldap's calls (no ldap.h here: the pointers pass through) ---- */

#define LDAP_OPT_X_TLS_NEWCTX 0x600f

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
    REAL(int, connect, int, const struct sockaddr *, socklen_t);
    int r;

    ev("connect+", fd, 0);
    r = real_connect(fd, a, len);
    ev("connect-", fd, r);
    return r;
}

int ldap_initialize(void **ldp, const char *url)
{
    REAL(int, ldap_initialize, void **, const char *);
    int r;

    ev("ldapinit+", 0, 0);
    r = real_ldap_initialize(ldp, url);
    ev("ldapinit-", r, 0);
    return r;
}

int ldap_set_option(void *ld, int option, const void *value)
{
    REAL(int, ldap_set_option, void *, int, const void *);
    int r;

    if (option != LDAP_OPT_X_TLS_NEWCTX)
        return real_ldap_set_option(ld, option, value);
    ev("tlsctx+", 0, 0);
    r = real_ldap_set_option(ld, option, value);
    ev("tlsctx-", r, 0);
    return r;
}

int ldap_start_tls_s(void *ld, void *sctrls, void *cctrls)
{
    REAL(int, ldap_start_tls_s, void *, void *, void *);
    int r;

    ev("starttls+", 0, 0);
    r = real_ldap_start_tls_s(ld, sctrls, cctrls);
    ev("starttls-", r, 0);
    return r;
}

int gnutls_handshake(void *session)
{
    REAL(int, gnutls_handshake, void *);
    int r;

    ev("handshake+", 0, 0);
    r = real_gnutls_handshake(session);
    ev("handshake-", r, 0);
    return r;
}

int ldap_sasl_bind_s(void *ld, const char *dn, const char *mech, void *cred, void *sctrls,
                     void *cctrls, void **servercred)
{
    REAL(int, ldap_sasl_bind_s, void *, const char *, const char *, void *, void *, void *,
         void **);
    int r;

    ev("bind+", 0, 0);
    r = real_ldap_sasl_bind_s(ld, dn, mech, cred, sctrls, cctrls, servercred);
    ev("bind-", r, 0);
    return r;
}

int ldap_search_ext_s(void *ld, const char *base, int scope, const char *filter, char **attrs,
                      int attrsonly, void *sctrls, void *cctrls, void *timeout, int sizelimit,
                      void **res)
{
    REAL(int, ldap_search_ext_s, void *, const char *, int, const char *, char **, int, void *,
         void *, void *, int, void **);
    int r;

    ev("search+", 0, 0);
    r = real_ldap_search_ext_s(ld, base, scope, filter, attrs, attrsonly, sctrls, cctrls, timeout,
                               sizelimit, res);
    ev("search-", r, 0);
    return r;
}

int ldap_modify_ext_s(void *ld, const char *dn, void **mods, void *sctrls, void *cctrls)
{
    REAL(int, ldap_modify_ext_s, void *, const char *, void **, void *, void *);
    int r;

    ev("modify+", 0, 0);
    r = real_ldap_modify_ext_s(ld, dn, mods, sctrls, cctrls);
    ev("modify-", r, 0);
    return r;
}
