/* The local store: safe directory, strict records, atomic replace, locks. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "backends/local/store.h"
#include "unit_util.h"

static char top[PATH_MAX];   /* scratch, 0700 */
static char sdir[PATH_MAX];  /* the state dir inside it */
static struct sspr_store st;

static int setup(void **state)
{
    (void)state;
    snprintf(top, sizeof(top), "%s", unit_tmpdir());
    unit_path(sdir, top, "state");
    if (sspr_store_open(&st, sdir, 1) != SSPR_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sspr_store_close(&st);
    unit_rm_rf(top);
    return 0;
}

static void put_raw(const char *name, const char *data, size_t len)
{
    assert_int_equal(unit_write_file(sdir, name, data, len, 0600), 0);
}

static void test_open_creates_0700(void **state)
{
    struct stat sb;

    (void)state;
    assert_int_equal(stat(sdir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(sb.st_uid, geteuid());
    assert_true(st.dirfd >= 0);
    assert_int_equal(st.owner, geteuid());
}

static void test_open_refuses_unsafe_dirs(void **state)
{
    struct sspr_store s2;
    char p[PATH_MAX];

    (void)state;
    /* Missing without create. */
    assert_int_equal(sspr_store_open(&s2, unit_path(p, top, "nope"), 0), SSPR_ERR_NOENT);
    assert_int_equal(s2.dirfd, -1);
    /* Relative. */
    assert_int_equal(sspr_store_open(&s2, "state", 1), SSPR_ERR_INVAL);
    /* Mode 0755. */
    assert_int_equal(mkdir(unit_path(p, top, "open"), 0700), 0);
    assert_int_equal(chmod(p, 0755), 0);
    assert_int_equal(sspr_store_open(&s2, p, 0), SSPR_ERR_UNSAFE);
    assert_int_equal(chmod(p, 0710), 0);
    assert_int_equal(sspr_store_open(&s2, p, 0), SSPR_ERR_UNSAFE);
    /* A symlink to a good directory. */
    assert_int_equal(symlink(sdir, unit_path(p, top, "link")), 0);
    assert_int_equal(sspr_store_open(&s2, p, 0), SSPR_ERR_UNSAFE);
    assert_int_equal(sspr_store_open(&s2, p, 1), SSPR_ERR_UNSAFE);
    /* A file where the directory should be. */
    assert_int_equal(unit_write_file(top, "file", "x", 1, 0600), 0);
    assert_int_equal(sspr_store_open(&s2, unit_path(p, top, "file"), 1), SSPR_ERR_UNSAFE);
    /* Someone else's directory (needs root to arrange). */
    if (geteuid() == 0) {
        assert_int_equal(mkdir(unit_path(p, top, "theirs"), 0700), 0);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(sspr_store_open(&s2, p, 0), SSPR_ERR_UNSAFE);
    }
}

static void test_round_trip(void **state)
{
    json_t *in, *out = NULL;
    char p[PATH_MAX];
    struct stat sb;

    (void)state;
    in = json_pack("{si ss}", "n", 42, "s", "text");
    assert_int_equal(sspr_store_write(&st, "user-1000", in), SSPR_OK);
    assert_int_equal(sspr_store_read(&st, "user-1000", &out), SSPR_OK);
    assert_true(json_equal(in, out));
    json_decref(out);
    assert_int_equal(stat(unit_path(p, sdir, "user-1000.json"), &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    /* Replace. */
    json_object_set_new(in, "n", json_integer(43));
    assert_int_equal(sspr_store_write(&st, "user-1000", in), SSPR_OK);
    assert_int_equal(sspr_store_read(&st, "user-1000", &out), SSPR_OK);
    assert_int_equal(json_integer_value(json_object_get(out, "n")), 43);
    json_decref(out);
    json_decref(in);
    assert_int_equal(unit_count_entries(sdir, ".tmp."), 0);
    /* Only objects are records. */
    in = json_array();
    assert_int_equal(sspr_store_write(&st, "user-1000", in), SSPR_ERR_INVAL);
    json_decref(in);
}

static void test_missing_and_remove(void **state)
{
    json_t *o = NULL, *in = json_object();

    (void)state;
    assert_int_equal(sspr_store_read(&st, "user-1", &o), SSPR_ERR_NOENT);
    assert_null(o);
    assert_int_equal(sspr_store_remove(&st, "user-1"), SSPR_OK);
    assert_int_equal(sspr_store_write(&st, "user-1", in), SSPR_OK);
    assert_int_equal(sspr_store_remove(&st, "user-1"), SSPR_OK);
    assert_int_equal(sspr_store_read(&st, "user-1", &o), SSPR_ERR_NOENT);
    json_decref(in);
}

static void test_bad_keys(void **state)
{
    static const char *const keys[] = {
        "", "User-1", "../x", "a/b", "a.b", "a b", "a_b", "a\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };
    json_t *o = NULL, *in = json_object();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_int_equal(sspr_store_read(&st, keys[i], &o), SSPR_ERR_INVAL);
        assert_int_equal(sspr_store_write(&st, keys[i], in), SSPR_ERR_INVAL);
        assert_int_equal(sspr_store_remove(&st, keys[i]), SSPR_ERR_INVAL);
        assert_int_equal(sspr_store_lock(&st, keys[i], 0), SSPR_ERR_INVAL);
    }
    assert_int_equal(sspr_store_read(&st, NULL, &o), SSPR_ERR_INVAL);
    /* 64 characters is the limit, and fine. */
    assert_int_equal(
        sspr_store_write(&st, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", in),
        SSPR_OK);
    json_decref(in);
}

static void test_corrupt_records(void **state)
{
    static const struct {
        const char *data;
        size_t len;
    } cases[] = {
        { "", 0 },                                  /* zero length (crash mid-write elsewhere) */
        { "{\"a\":", 5 },                           /* truncated */
        { "not json", 8 },
        { "{\"a\":1,\"a\":2}", 13 },                /* duplicate keys */
        { "[1,2]", 5 },                             /* not an object */
        { "\"s\"", 3 },
        { "{\"a\":\"x\\u0000y\"}", 16 },            /* NUL inside a string */
        { "{\"a\":1}\0junk", 12 },                  /* NUL in the file */
        { "{\"a\":1} {\"b\":2}", 15 },              /* two documents */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *o = NULL;

        put_raw("user-5.json", cases[i].data, cases[i].len);
        if (sspr_store_read(&st, "user-5", &o) != SSPR_ERR_CORRUPT)
            fail_msg("case %zu not refused as corrupt", i);
        assert_null(o);
    }
}

static void test_unsafe_records(void **state)
{
    char p[PATH_MAX], target[PATH_MAX];
    json_t *o = NULL;
    char *big;

    (void)state;
    /* A symlink to a perfectly good record elsewhere. */
    assert_int_equal(unit_write_file(top, "elsewhere.json", "{}", 2, 0600), 0);
    unit_path(target, top, "elsewhere.json");
    assert_int_equal(symlink(target, unit_path(p, sdir, "user-6.json")), 0);
    assert_int_equal(sspr_store_read(&st, "user-6", &o), SSPR_ERR_CORRUPT);
    /* Writable by group. */
    assert_int_equal(unit_write_file(sdir, "user-7.json", "{}", 2, 0620), 0);
    assert_int_equal(sspr_store_read(&st, "user-7", &o), SSPR_ERR_CORRUPT);
    /* A directory or a FIFO. */
    assert_int_equal(mkdir(unit_path(p, sdir, "user-8.json"), 0700), 0);
    assert_int_equal(sspr_store_read(&st, "user-8", &o), SSPR_ERR_CORRUPT);
    assert_int_equal(mkfifo(unit_path(p, sdir, "user-9.json"), 0600), 0);
    assert_int_equal(sspr_store_read(&st, "user-9", &o), SSPR_ERR_CORRUPT);
    /* Too big. */
    big = malloc(SSPR_STORE_MAX_RECORD + 1);
    assert_non_null(big);
    memset(big, ' ', SSPR_STORE_MAX_RECORD + 1);
    big[0] = '{';
    big[SSPR_STORE_MAX_RECORD] = '}';
    put_raw("user-10.json", big, SSPR_STORE_MAX_RECORD + 1);
    free(big);
    assert_int_equal(sspr_store_read(&st, "user-10", &o), SSPR_ERR_CORRUPT);
    /* Owned by someone else. */
    if (geteuid() == 0) {
        put_raw("user-11.json", "{}", 2);
        assert_int_equal(chown(unit_path(p, sdir, "user-11.json"), 65534, 65534), 0);
        assert_int_equal(sspr_store_read(&st, "user-11", &o), SSPR_ERR_CORRUPT);
    }
    assert_null(o);
}

/* A write that fails half way: RLIMIT_FSIZE makes write() on the temp file
 * fail with EFBIG after 4 KiB, exactly as a full disk would fail it. The old
 * record must be untouched and no temp file left behind. */
static void test_failed_write_keeps_old_record(void **state)
{
    struct rlimit old, small;
    struct sigaction ign, oldsa;
    json_t *v1, *v2, *out = NULL;
    char *pad;

    (void)state;
    v1 = json_pack("{ss}", "version", "one");
    assert_int_equal(sspr_store_write(&st, "user-20", v1), SSPR_OK);

    pad = malloc(64 * 1024);
    assert_non_null(pad);
    memset(pad, 'x', 64 * 1024 - 1);
    pad[64 * 1024 - 1] = '\0';
    v2 = json_pack("{ss ss}", "version", "two", "pad", pad);
    free(pad);

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 4096;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGXFSZ, &ign, &oldsa), 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(sspr_store_write(&st, "user-20", v2), SSPR_ERR_IO);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(sigaction(SIGXFSZ, &oldsa, NULL), 0);

    assert_int_equal(sspr_store_read(&st, "user-20", &out), SSPR_OK);
    assert_true(json_equal(out, v1));
    json_decref(out);
    assert_int_equal(unit_count_entries(sdir, ".tmp."), 0);

    /* And with the limit gone the same write goes through. */
    assert_int_equal(sspr_store_write(&st, "user-20", v2), SSPR_OK);
    assert_int_equal(sspr_store_read(&st, "user-20", &out), SSPR_OK);
    assert_true(json_equal(out, v2));
    json_decref(out);
    json_decref(v1);
    json_decref(v2);
}

/* The rename step failing: "<key>.json" is a non-empty directory, which
 * rename() cannot replace with a file. Nothing is left behind. */
static void test_failed_rename_cleans_up(void **state)
{
    char p[PATH_MAX];
    json_t *in = json_object();

    (void)state;
    assert_int_equal(mkdir(unit_path(p, sdir, "user-21.json"), 0700), 0);
    assert_int_equal(unit_write_file(p, "keep", "x", 1, 0600), 0);
    assert_int_equal(sspr_store_write(&st, "user-21", in), SSPR_ERR_IO);
    assert_int_equal(unit_count_entries(sdir, ".tmp."), 0);
    assert_int_equal(unit_count_entries(p, "keep"), 1);
    json_decref(in);
}

static void test_closed_store(void **state)
{
    struct sspr_store dead = { -1, 0 };
    json_t *o = NULL, *in = json_object();

    (void)state;
    assert_int_equal(sspr_store_read(&dead, "user-1", &o), SSPR_ERR_INVAL);
    assert_int_equal(sspr_store_write(&dead, "user-1", in), SSPR_ERR_INVAL);
    assert_int_equal(sspr_store_lock(&dead, "user-1", 0), SSPR_ERR_INVAL);
    sspr_store_close(&dead);
    json_decref(in);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child: try the lock for timeout_ms; exit 0 if taken, 1 if ELOCK, 2 else. */
static pid_t try_lock_in_child(const char *key, int timeout_ms)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct sspr_store s2;
        int fd;

        if (sspr_store_open(&s2, sdir, 0) != SSPR_OK)
            _exit(3);
        fd = sspr_store_lock(&s2, key, timeout_ms);
        if (fd >= 0) {
            sspr_store_unlock(fd);
            _exit(0);
        }
        _exit(fd == SSPR_ERR_LOCK ? 1 : 2);
    }
    return pid;
}

static int child_status(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_lock_excludes(void **state)
{
    long long t0;
    pid_t pid;
    int fd;

    (void)state;
    fd = sspr_store_lock(&st, "user-30", 1000);
    assert_true(fd >= 0);
    /* Held here: another process times out. */
    t0 = now_ms();
    assert_int_equal(child_status(try_lock_in_child("user-30", 200)), 1);
    assert_true(now_ms() - t0 >= 190);
    /* A different key is independent. */
    assert_int_equal(child_status(try_lock_in_child("user-31", 0)), 0);
    /* A waiter gets it once we let go. */
    pid = try_lock_in_child("user-30", 5000);
    usleep(300 * 1000);
    sspr_store_unlock(fd);
    assert_int_equal(child_status(pid), 0);
    /* And it is free again afterwards. */
    fd = sspr_store_lock(&st, "user-30", 0);
    assert_true(fd >= 0);
    sspr_store_unlock(fd);
}

/* Child: hold the lock on key until told on the pipe (or killed). */
static pid_t hold_lock_in_child(const char *key, int *release_fd)
{
    int ready[2], go[2];
    pid_t pid;
    char c;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sspr_store s2;
        int fd;

        if (sspr_store_open(&s2, sdir, 0) != SSPR_OK || (fd = sspr_store_lock(&s2, key, 0)) < 0)
            _exit(3);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
            _exit(4);
        sspr_store_unlock(fd);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    *release_fd = go[1];
    return pid;
}

/* A waiter blocks in the kernel with a timer to look at its deadline: the
 * signal it borrows for that is handed back as it was, handler and mask,
 * whether the wait timed out or got the lock, and a mask that blocked the
 * signal beforehand cannot make the wait hang. */
static void test_lock_wait_restores_signals(void **state)
{
    struct sigaction before, after;
    sigset_t mask, now;
    long long t0;
    int release, fd;
    pid_t holder;

    (void)state;
    assert_int_equal(sigaction(SIGRTMIN, NULL, &before), 0);
    sigemptyset(&mask);
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGUSR2);
    assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);

    holder = hold_lock_in_child("user-32", &release);
    t0 = now_ms();
    assert_int_equal(sspr_store_lock(&st, "user-32", 120), SSPR_ERR_LOCK);
    assert_true(now_ms() - t0 >= 115);
    assert_true(now_ms() - t0 < 5000);
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &now), 0);
    assert_true(sigismember(&now, SIGRTMIN));
    assert_true(sigismember(&now, SIGUSR2));
    assert_int_equal(sigaction(SIGRTMIN, NULL, &after), 0);
    assert_true(after.sa_handler == before.sa_handler);

    /* now wait while the holder lets go after a moment */
    if (fork() == 0) {
        usleep(50 * 1000);
        _exit(write(release, "g", 1) == 1 ? 0 : 1);
    }
    fd = sspr_store_lock(&st, "user-32", 5000);
    assert_true(fd >= 0);
    sspr_store_unlock(fd);
    assert_int_equal(child_status(holder), 0);
    while (wait(NULL) > 0)
        ;
    close(release);
    assert_int_equal(sigaction(SIGRTMIN, NULL, &after), 0);
    assert_true(after.sa_handler == before.sa_handler);
    assert_int_equal(sigprocmask(SIG_UNBLOCK, &mask, NULL), 0);
}

/* With no timer to be had (RLIMIT_SIGPENDING at 0: timer_create fails),
 * a wait still keeps its deadline and still gets the lock once it is free,
 * by trying again after short naps. */
static void test_lock_wait_without_a_timer(void **state)
{
    int release, status;
    pid_t holder, waiter;

    (void)state;
    holder = hold_lock_in_child("user-33", &release);
    waiter = fork();
    assert_true(waiter >= 0);
    if (waiter == 0) {
        struct rlimit none = { 0, 0 };
        long long t0;
        int fd;

        if (setrlimit(RLIMIT_SIGPENDING, &none) != 0)
            _exit(5);
        t0 = now_ms();
        if (sspr_store_lock(&st, "user-33", 120) != SSPR_ERR_LOCK || now_ms() - t0 < 115)
            _exit(6);
        if (write(release, "g", 1) != 1)
            _exit(7);
        fd = sspr_store_lock(&st, "user-33", 5000);
        _exit(fd >= 0 ? 0 : 8);
    }
    while (waitpid(waiter, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(child_status(holder), 0);
    close(release);
}

static void test_lock_file_symlink_refused(void **state)
{
    char p[PATH_MAX], target[PATH_MAX];

    (void)state;
    assert_int_equal(unit_write_file(top, "victim", "", 0, 0600), 0);
    unit_path(target, top, "victim");
    assert_int_equal(symlink(target, unit_path(p, sdir, "user-40.lock")), 0);
    assert_int_equal(sspr_store_lock(&st, "user-40", 0), SSPR_ERR_CORRUPT);
}

static void test_strerror(void **state)
{
    int e;

    (void)state;
    for (e = 0; e >= -7; e--)
        assert_non_null(sspr_strerror(e));
    assert_string_equal(sspr_strerror(SSPR_ERR_CORRUPT), "record corrupt or unsafe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_0700, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_unsafe_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_rename_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_excludes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_wait_restores_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_wait_without_a_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_file_symlink_refused, setup, teardown),
        cmocka_unit_test(test_strerror),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
