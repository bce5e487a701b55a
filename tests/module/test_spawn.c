/* Helper path checks, and (as root, in a root-owned dir under the build
 * dir) real spawns of small shell-script helpers: environment, fds,
 * signals, SIGCHLD, exit without RESULT, kill, deadline, reaping. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../filter.h"

#include "args.h"
#include "fixture.h"
#include "helper_path.h"
#include "auth_stage.h"
#include "relay.h"
#include "spawn.h"
#include "wire.h"

/* The reaping fallback is forced by making pidfd_open fail with ENOSYS:
 * this program is linked with -Wl,--wrap=pidfd_open, so the module's calls
 * (from libmodule.a, linked in statically) land here. The shipped
 * pam_sspr.so has no hook at all. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 36))
#include <sys/pidfd.h>
#define HAVE_PIDFD_HOOK 1
static int force_enosys, pidfd_calls;
int __real_pidfd_open(pid_t pid, unsigned int flags);
int __wrap_pidfd_open(pid_t pid, unsigned int flags);
int __wrap_pidfd_open(pid_t pid, unsigned int flags)
{
    pidfd_calls++;
    if (force_enosys) {
        errno = ENOSYS;
        return -1;
    }
    return __real_pidfd_open(pid, flags);
}
#else
#define HAVE_PIDFD_HOOK 0
static int force_enosys, pidfd_calls;
#endif

/* RESULT frames for printf(1) */
#define PF_DENIED "printf '\\000\\000\\000\\007\\010denied'\n"
#define PF_RESET_DONE "printf '\\000\\000\\000\\013\\010reset-done'\n"

struct st {
    struct fixture *fx;
    char dir[PATH_MAX]; /* root-owned helper dir, or "" */
};

static int setup(void **state)
{
    struct st *s = calloc(1, sizeof(*s));

    s->fx = fx_new("sspr-test", "alice");
    if (fx_helper_dir(s->fx->pamh, s->dir, sizeof(s->dir)) != 0)
        s->dir[0] = '\0';
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct st *s = *state;

    if (s->dir[0] != '\0')
        fx_rm_tree(s->dir);
    fx_free(s->fx);
    free(s);
    return 0;
}

#define NEED_ROOT_DIR(s) do { if ((s)->dir[0] == '\0') { skip(); return; } } while (0)

static int ok(struct st *s, const char *path)
{
    return sspr_helper_path_ok(s->fx->pamh, path) == 0;
}

/* ---- path checks that hold for everyone ---------------------------------- */

static void test_refuse_relative(void **state)
{
    struct st *s = *state;

    assert_false(ok(s, "sspr-helper"));
    assert_false(ok(s, "./sspr-helper"));
    assert_false(ok(s, ""));
    assert_false(ok(s, NULL));
}

static void test_refuse_nonexistent(void **state)
{
    assert_false(ok(*state, "/nonexistent/sspr-helper"));
    assert_false(ok(*state, "/usr/sbin/sspr-helper-does-not-exist"));
}

static void test_refuse_dot_components(void **state)
{
    assert_false(ok(*state, "/bin/../bin/sh"));
    assert_false(ok(*state, "/usr/./bin/sh"));
    assert_false(ok(*state, "/usr/bin/"));
}

static void test_refuse_directory(void **state)
{
    assert_false(ok(*state, "/usr/bin"));
    assert_false(ok(*state, "/"));
}

static void test_refuse_under_tmp(void **state)
{
    /* /tmp is 1777: anything directly under it is refused, even root's */
    struct st *s = *state;
    char path[] = "/tmp/sspr-helper-XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0755), 0);
    close(fd);
    assert_false(ok(s, path));
    unlink(path);
}

static void test_refuse_group_writable_tmpdir(void **state)
{
    /* as non-root: the files are not root's either, so this is refused twice over */
    struct st *s = *state;
    char d[] = "/tmp/sspr-gw-XXXXXX";
    char p[64];

    assert_non_null(mkdtemp(d));
    snprintf(p, sizeof(p), "%s/h", d);
    fx_script(d, "h", "#!/bin/sh\n", 0775);
    assert_false(ok(s, p));
    fx_rm_tree(d);
}

/* ---- as root: each single flaw refused, the clean case accepted ---------- */

static void test_good_helper_accepted(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_true(ok(s, fx_script(s->dir, "h", "#!/bin/sh\n", 0755)));
    assert_true(ok(s, fx_script(s->dir, "h700", "#!/bin/sh\n", 0700)));
}

static void test_refuse_group_writable(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_false(ok(s, fx_script(s->dir, "h", "#!/bin/sh\n", 0775)));
}

static void test_refuse_world_writable(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_false(ok(s, fx_script(s->dir, "h", "#!/bin/sh\n", 0757)));
}

static void test_refuse_not_executable(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_false(ok(s, fx_script(s->dir, "h", "#!/bin/sh\n", 0644)));
}

static void test_refuse_not_root_owned(void **state)
{
    struct st *s = *state;
    const char *p;

    NEED_ROOT_DIR(s);
    p = fx_script(s->dir, "h", "#!/bin/sh\n", 0755);
    assert_int_equal(chown(p, 1, 1), 0);
    assert_false(ok(s, p));
}

static void test_refuse_world_writable_dir(void **state)
{
    struct st *s = *state;
    char sub[PATH_MAX + 8];
    char p[PATH_MAX + 16];

    NEED_ROOT_DIR(s);
    snprintf(sub, sizeof(sub), "%s/ww", s->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    fx_script(sub, "h", "#!/bin/sh\n", 0755);
    snprintf(p, sizeof(p), "%s/h", sub);
    assert_true(ok(s, p));
    assert_int_equal(chmod(sub, 0777), 0);
    assert_false(ok(s, p));
    assert_int_equal(chmod(sub, 01777), 0);
    assert_false(ok(s, p));
    assert_int_equal(chmod(sub, 0775), 0);
    assert_false(ok(s, p));
    assert_int_equal(chmod(sub, 0755), 0);
    assert_int_equal(chown(sub, 1, 0), 0);
    assert_false(ok(s, p));
}

static void test_refuse_symlinks(void **state)
{
    struct st *s = *state;
    char link[PATH_MAX + 16], dlink[PATH_MAX + 16], via[PATH_MAX + 32];
    const char *p;

    NEED_ROOT_DIR(s);
    p = fx_script(s->dir, "h", "#!/bin/sh\n", 0755);
    snprintf(link, sizeof(link), "%s/link", s->dir);
    assert_int_equal(symlink(p, link), 0);
    assert_true(ok(s, p));
    assert_false(ok(s, link));
    /* a symlinked parent directory */
    snprintf(dlink, sizeof(dlink), "%s/dlink", s->dir);
    assert_int_equal(symlink(".", dlink), 0);
    snprintf(via, sizeof(via), "%s/h", dlink);
    assert_false(ok(s, via));
}

/* ---- as root: real spawns -------------------------------------------------- */

static struct sspr_args args_for(struct st *s, const char *helper, unsigned timeout)
{
    struct sspr_args a;

    (void)sspr_args_parse(s->fx->pamh, 0, NULL, &a);
    a.helper = helper;
    a.timeout = timeout;
    return a;
}

static int run_reset(struct st *s, const char *script, unsigned timeout)
{
    const char *p = fx_script(s->dir, "helper", script, 0755);
    char path[PATH_MAX + 64];
    struct sspr_args a;
    int rc;

    snprintf(path, sizeof(path), "%s", p);
    a = args_for(s, path, timeout);
    rc = sspr_run_reset(s->fx->pamh, &a, "alice", "trigger");
    assert_int_not_equal(rc, PAM_SUCCESS);
    assert_int_not_equal(rc, PAM_IGNORE);
    return rc;
}

static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_reset_done_via_helper(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/bin/sh\n" PF_RESET_DONE, 5), PAM_AUTH_ERR);
    assert_int_equal(fx_count(s->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE), 1);
    assert_no_children();
}

static void test_exit_without_result(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/bin/sh\nexit 3\n", 5), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(fx_count(s->fx, PAM_ERROR_MSG, SSPR_MSG_UNAVAILABLE), 1);
    assert_no_children();
}

static void test_helper_killed(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/bin/sh\nkill -9 $$\n", 5), PAM_AUTHINFO_UNAVAIL);
    assert_no_children();
}

static void test_exec_fails(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/nonexistent/interpreter\n", 5), PAM_AUTHINFO_UNAVAIL);
    assert_no_children();
}

static void test_silent_helper_killed_at_deadline(void **state)
{
    struct st *s = *state;
    int64_t t0 = sspr_now_ms();

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/bin/sh\nexec sleep 30\n", 1), PAM_AUTHINFO_UNAVAIL);
    assert_true(sspr_now_ms() - t0 < 5000);
    assert_no_children();
}

static void test_lingering_helper_after_result(void **state)
{
    /* RESULT is final even if the helper then hangs: killed after the grace */
    struct st *s = *state;
    int64_t t0 = sspr_now_ms();

    NEED_ROOT_DIR(s);
    assert_int_equal(run_reset(s, "#!/bin/sh\n" PF_DENIED "exec sleep 30 </dev/null >/dev/null\n", 5),
                     PAM_AUTH_ERR);
    assert_true(sspr_now_ms() - t0 < 6000);
    assert_no_children();
}

static void test_helper_may_finish_after_result(void **state)
{
    /* after RESULT (even "unavailable") the helper gets a moment to finish
     * its audit before it would be killed */
    struct st *s = *state;
    char script[2 * PATH_MAX], marker[PATH_MAX + 16];
    struct stat sb;

    NEED_ROOT_DIR(s);
    snprintf(marker, sizeof(marker), "%s/audited", s->dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\nprintf '\\000\\000\\000\\014\\010unavailable'\nsleep 0.3\ntouch %s\n",
             marker);
    assert_int_equal(run_reset(s, script, 5), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(stat(marker, &sb), 0);
    assert_int_equal(fx_count(s->fx, PAM_ERROR_MSG, SSPR_MSG_UNAVAILABLE), 0);
}

static void test_child_environment(void **state)
{
    struct st *s = *state;
    char script[4 * PATH_MAX], out[PATH_MAX + 16], buf[8192];
    struct sigaction ign, old_usr2;
    sigset_t blk, old_mask;
    const char *p;
    struct sspr_args a;
    FILE *f;
    size_t n;
    int leak;

    NEED_ROOT_DIR(s);
    snprintf(out, sizeof(out), "%s/out", s->dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\n"
             "s0=no; [ -S /proc/$$/fd/0 ] && s0=yes\n"
             "s1=no; [ -S /proc/$$/fd/1 ] && s1=yes\n"
             "leak=no; [ -e /proc/$$/fd/47 ] && leak=yes\n"
             "e2=$(readlink /proc/$$/fd/2)\n"
             "{ echo \"args=$*\"; echo \"s0=$s0 s1=$s1 leak=$leak e2=$e2\";\n"
             "  echo \"umask=$(umask)\"; echo ENV; env; } > %s\n"
             PF_DENIED, out);
    p = fx_script(s->dir, "helper", script, 0755);
    /* the host's state that must not reach the helper */
    setenv("SSPR_LEAK", "1", 1);
    setenv("LD_PRELOAD", "/nonexistent/libevil.so", 1);
    leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */
    assert_int_equal(dup2(leak, 47), 47);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &ign, &old_usr2);
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, &old_mask);

    a = args_for(s, p, 5);
    a.config = "/etc/sspr/test.conf";
    assert_int_equal(sspr_run_reset(s->fx->pamh, &a, "alice", "offer"), PAM_AUTH_ERR);

    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGUSR2, &old_usr2, NULL);
    close(47);
    close(leak);
    unsetenv("LD_PRELOAD");
    unsetenv("SSPR_LEAK");

    f = fopen(out, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "args=pam --config=/etc/sspr/test.conf\n"));
    assert_non_null(strstr(buf, "s0=yes s1=yes leak=no e2=/dev/null\n"));
    assert_non_null(strstr(buf, "umask=0077\n"));
    assert_non_null(strstr(buf, "\nPWD=/\n"));
    assert_non_null(strstr(buf, "\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
    assert_non_null(strstr(buf, "\nLC_ALL=C\n"));
    assert_null(strstr(buf, "SSPR_LEAK"));
    assert_null(strstr(buf, "LD_PRELOAD"));
}

/* Signals as the exec'd program sees them (a shell would reset its own
 * mask, so the probe is awk reading its own /proc status). */
static void test_child_signals(void **state)
{
    struct st *s = *state;
    char script[2 * PATH_MAX], out[PATH_MAX + 16], buf[1024];
    struct sigaction ign, old_usr2, old_term;
    sigset_t blk, old_mask;
    const char *ig;
    unsigned long long mask;
    FILE *f;
    size_t n;

    NEED_ROOT_DIR(s);
    if (access("/usr/bin/awk", X_OK) != 0) {
        skip();
        return;
    }
    snprintf(out, sizeof(out), "%s/sig", s->dir);
    snprintf(script, sizeof(script),
             "#!/usr/bin/awk -f\n"
             "BEGIN { while ((getline l < \"/proc/self/status\") > 0)\n"
             "  if (l ~ /^Sig(Blk|Ign)/) print l > \"%s\"; }\n", out);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &ign, &old_usr2);
    sigaction(SIGTERM, &ign, &old_term);
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigaddset(&blk, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blk, &old_mask);
    /* no RESULT from this helper: unavailable */
    assert_int_equal(run_reset(s, script, 5), PAM_AUTHINFO_UNAVAIL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGUSR2, &old_usr2, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    f = fopen(out, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (strstr(buf, "SigBlk:\t0000000000000000\n") == NULL)
        fail_msg("child blocks signals: %s", buf);
    /* none ignored, except glibc's reserved 32 and 33, which glibc will not
     * let us touch and which the helper's own libc sets up itself */
    ig = strstr(buf, "SigIgn:\t");
    assert_non_null(ig);
    mask = strtoull(ig + 8, NULL, 16);
    if ((mask & ~0x180000000ULL) != 0)
        fail_msg("child ignores signals: %s", buf);
}

static void test_no_config_arg(void **state)
{
    struct st *s = *state;
    char script[2 * PATH_MAX], out[PATH_MAX + 16], buf[256];
    FILE *f;
    size_t n;

    NEED_ROOT_DIR(s);
    snprintf(out, sizeof(out), "%s/out", s->dir);
    snprintf(script, sizeof(script), "#!/bin/sh\necho \"[$#:$*]\" > %s\n" PF_DENIED, out);
    assert_int_equal(run_reset(s, script, 5), PAM_AUTH_ERR);
    f = fopen(out, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "[1:pam]\n");
}

static void test_sigchld_ignored_by_host(void **state)
{
    struct st *s = *state;
    struct sigaction ign, old, now;
    struct sspr_child c;
    const char *p;
    int status;

    NEED_ROOT_DIR(s);
    p = fx_script(s->dir, "helper", "#!/bin/sh\nexit 3\n", 0755);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);

    assert_int_equal(sspr_spawn(s->fx->pamh, p, NULL, true, &c), 0);
    assert_true(c.pid > 0);
    status = sspr_child_finish(s->fx->pamh, &c, 5000, true);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    assert_int_equal(c.pid, -1);
    assert_int_equal(c.fd, -1);
    assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
    assert_true(now.sa_handler == SIG_IGN); /* restored */
    /* finishing twice is harmless */
    assert_int_equal(sspr_child_finish(s->fx->pamh, &c, 0, true), -1);

    /* and the whole flow works under SIG_IGN */
    assert_int_equal(run_reset(s, "#!/bin/sh\n" PF_RESET_DONE, 5), PAM_AUTH_ERR);
    assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
    assert_true(now.sa_handler == SIG_IGN);
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
}

static void test_std_fds_closed_in_host(void **state)
{
    /* a daemon host with 0 and 1 closed: the socketpair may land on them */
    struct st *s = *state;
    int save0, save1, rc;

    NEED_ROOT_DIR(s);
    fx_script(s->dir, "helper", "#!/bin/sh\n" PF_RESET_DONE, 0755);
    save0 = dup(0);
    save1 = dup(1);
    close(0);
    close(1);
    {
        char path[PATH_MAX + 16];
        struct sspr_args a;
        snprintf(path, sizeof(path), "%s/helper", s->dir);
        a = args_for(s, path, 5);
        rc = sspr_run_reset(s->fx->pamh, &a, "alice", "trigger");
    }
    dup2(save0, 0);
    dup2(save1, 1);
    close(save0);
    close(save1);
    assert_int_equal(rc, PAM_AUTH_ERR);
    assert_int_equal(fx_count(s->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE), 1);
}

static void test_kiosk_never_passes(void **state)
{
    struct st *s = *state;
    char harg[PATH_MAX + 16];
    const char *argv[2];
    struct sspr_args a;

    NEED_ROOT_DIR(s);
    snprintf(harg, sizeof(harg), "helper=%s",
             fx_script(s->dir, "helper", "#!/bin/sh\n" PF_RESET_DONE, 0755));
    argv[0] = harg;
    argv[1] = "kiosk_user=reset";
    assert_int_equal(sspr_args_parse(s->fx->pamh, 2, argv, &a), 0);
    assert_int_equal(pam_set_item(s->fx->pamh, PAM_USER, "reset"), PAM_SUCCESS);
    fx_reply(s->fx, R_ANSWER, "bob");
    assert_int_equal(sspr_authenticate(s->fx->pamh, 0, &a), PAM_AUTH_ERR);
    assert_int_equal(fx_count(s->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE), 1);
}

/* ---- reaping: no fixed waits, deadlines, only our pid ---------------------- */

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Start script as the helper; wait until it wrote its first byte, so that
 * it is up and blocked in its next step when the caller goes on. */
static void spawn_ready(struct st *s, const char *script, struct sspr_child *c)
{
    const char *p = fx_script(s->dir, "helper", script, 0755);
    struct pollfd pfd;
    char b;

    assert_int_equal(sspr_spawn(s->fx->pamh, p, NULL, true, c), 0);
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(read(c->fd, &b, 1), 1);
}

static int open_fds(void)
{
    int n = 0;

    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A helper that exits as soon as it sees EOF (the end of every reset and
 * cancel) is reaped as soon as it has exited: no 10 ms polling step. */
static void reap_prompt(struct st *s, int fallback)
{
    enum { N = 7 };
    double t[N];

    force_enosys = fallback;
    pidfd_calls = 0;
    for (int i = 0; i < N; i++) {
        struct sspr_child c;
        struct timespec t0;
        int status;

        int fds = open_fds();

        spawn_ready(s, "#!/bin/sh\nprintf r\nread x\nexit 4\n", &c);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = sspr_child_finish(s->fx->pamh, &c, 2000, true);
        t[i] = ms_since(&t0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 4);
        assert_int_equal(c.pid, -1);
        assert_int_equal(c.fd, -1);
        assert_int_equal(open_fds(), fds); /* channel and pidfd closed */
    }
    force_enosys = 0;
    qsort(t, N, sizeof(t[0]), cmp_dbl);
    print_message("reap after EOF (%s): min %.3f ms, median %.3f ms, max %.3f ms\n",
                  fallback ? "channel fallback" : "pidfd", t[0], t[N / 2], t[N - 1]);
    /* the old 10 ms WNOHANG polling never came in under 10 ms */
    assert_true(t[0] < 3.0);
    assert_true(t[N / 2] < 5.0);
    assert_no_children();
}

static void test_reap_prompt_pidfd(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    reap_prompt(s, 0);
    assert_true(pidfd_calls > 0 || !HAVE_PIDFD_HOOK); /* the module uses pidfds */
}

static void test_reap_prompt_fallback(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    if (!HAVE_PIDFD_HOOK) {
        skip();
        return;
    }
    reap_prompt(s, 1);
    assert_true(pidfd_calls > 0); /* the hook really forced the fallback */
}

/* A helper that ignores EOF and the deadline is killed at the deadline and
 * reaped: one that keeps the channel open, and one that closed it and
 * lingers (the fallback's EOF then comes early). */
static void deadline_kill(struct st *s, int fallback)
{
    static const char *const scripts[] = {
        "#!/bin/sh\nprintf r\nexec sleep 30\n",
        "#!/bin/sh\nprintf r\nexec sleep 30 </dev/null >/dev/null\n",
    };

    force_enosys = fallback;
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        struct sspr_child c;
        struct timespec t0;
        double ms;
        int status;

        spawn_ready(s, scripts[i], &c);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = sspr_child_finish(s->fx->pamh, &c, 300, true);
        ms = ms_since(&t0);
        print_message("deadline 300 ms (%s, script %zu): killed after %.1f ms\n",
                      fallback ? "fallback" : "pidfd", i, ms);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        assert_true(ms >= 299.0);
        assert_true(ms < 2000.0);
        assert_int_equal(c.pid, -1);
    }
    /* grace 0: killed at once */
    {
        struct sspr_child c;
        struct timespec t0;
        int status;

        spawn_ready(s, scripts[0], &c);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = sspr_child_finish(s->fx->pamh, &c, 0, true);
        assert_true(WIFSIGNALED(status));
        assert_true(ms_since(&t0) < 1000.0);
    }
    force_enosys = 0;
    assert_no_children();
}

static void test_deadline_kill_pidfd(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    deadline_kill(s, 0);
}

static void test_deadline_kill_fallback(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    if (!HAVE_PIDFD_HOOK) {
        skip();
        return;
    }
    deadline_kill(s, 1);
}

/* The host's other children are the host's: an exited one stays a zombie
 * for the host to collect, a running one is not touched. */
static void only_our_pid(struct st *s, int fallback)
{
    struct sspr_child c;
    pid_t done, running;
    siginfo_t si;
    int status;

    done = fork();
    assert_true(done >= 0);
    if (done == 0)
        _exit(7);
    running = fork();
    assert_true(running >= 0);
    if (running == 0) {
        pause();
        _exit(0);
    }
    /* the first one has exited (not reaped: WNOWAIT) before we start */
    memset(&si, 0, sizeof(si));
    assert_int_equal(waitid(P_PID, (id_t)done, &si, WEXITED | WNOWAIT), 0);

    force_enosys = fallback;
    spawn_ready(s, "#!/bin/sh\nprintf r\nread x\n", &c);
    status = sspr_child_finish(s->fx->pamh, &c, 2000, true);
    force_enosys = 0;
    assert_true(WIFEXITED(status));

    assert_int_equal(waitpid(running, &status, WNOHANG), 0);
    assert_int_equal(waitpid(done, &status, WNOHANG), done);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    kill(running, SIGKILL);
    assert_int_equal(waitpid(running, &status, 0), running);
    assert_no_children();
}

static void test_only_our_pid_pidfd(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    only_our_pid(s, 0);
}

static void test_only_our_pid_fallback(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    if (!HAVE_PIDFD_HOOK) {
        skip();
        return;
    }
    only_our_pid(s, 1);
}

/* The whole reset through the fallback: RESULT, then the helper exits. */
static void test_reset_through_fallback(void **state)
{
    struct st *s = *state;

    NEED_ROOT_DIR(s);
    if (!HAVE_PIDFD_HOOK) {
        skip();
        return;
    }
    force_enosys = 1;
    assert_int_equal(run_reset(s, "#!/bin/sh\n" PF_RESET_DONE, 5), PAM_AUTH_ERR);
    force_enosys = 0;
    assert_int_equal(fx_count(s->fx, PAM_TEXT_INFO, SSPR_MSG_RESET_DONE), 1);
    assert_no_children();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_refuse_relative), T(test_refuse_nonexistent), T(test_refuse_dot_components),
        T(test_refuse_directory), T(test_refuse_under_tmp), T(test_refuse_group_writable_tmpdir),
        T(test_good_helper_accepted), T(test_refuse_group_writable), T(test_refuse_world_writable),
        T(test_refuse_not_executable), T(test_refuse_not_root_owned),
        T(test_refuse_world_writable_dir), T(test_refuse_symlinks),
        T(test_reset_done_via_helper), T(test_exit_without_result), T(test_helper_killed),
        T(test_exec_fails), T(test_silent_helper_killed_at_deadline),
        T(test_lingering_helper_after_result), T(test_helper_may_finish_after_result),
        T(test_child_environment), T(test_child_signals), T(test_no_config_arg),
        T(test_sigchld_ignored_by_host), T(test_std_fds_closed_in_host),
        T(test_kiosk_never_passes),
        T(test_reap_prompt_pidfd), T(test_reap_prompt_fallback),
        T(test_deadline_kill_pidfd), T(test_deadline_kill_fallback),
        T(test_only_our_pid_pidfd), T(test_only_our_pid_fallback),
        T(test_reset_through_fallback),
    };
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
