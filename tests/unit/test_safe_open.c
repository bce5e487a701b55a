/* sspr_open_safely / sspr_read_all_fd: what is refused and with which errno. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "support/safe_open.h"
#include "unit_util.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unit_rm_rf(dir);
    return 0;
}

static void test_regular_file_ok(void **state)
{
    char p[PATH_MAX], *buf = NULL;
    size_t len = 0;
    int fd;

    (void)state;
    assert_int_equal(unit_write_file(dir, "ok", "hello\n", 6, 0644), 0);
    fd = sspr_open_safely(AT_FDCWD, unit_path(p, dir, "ok"), geteuid(), 100);
    assert_true(fd >= 0);
    /* O_NONBLOCK, used to defuse FIFOs, is off again. */
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    assert_int_equal(sspr_read_all_fd(fd, 100, &buf, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(buf, "hello\n");
    free(buf);
    close(fd);
}

static void test_relative_to_dirfd(void **state)
{
    int dfd, fd;

    (void)state;
    assert_int_equal(unit_write_file(dir, "rel", "x", 1, 0600), 0);
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    fd = sspr_open_safely(dfd, "rel", geteuid(), 10);
    assert_true(fd >= 0);
    close(fd);
    close(dfd);
}

static void test_symlink_refused(void **state)
{
    char p[PATH_MAX], target[PATH_MAX];

    (void)state;
    assert_int_equal(unit_write_file(dir, "target", "x", 1, 0600), 0);
    unit_path(target, dir, "target");
    assert_int_equal(symlink(target, unit_path(p, dir, "link")), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, p, geteuid(), 10), -1);
    assert_int_equal(errno, ELOOP);
}

static void test_writable_by_others_refused(void **state)
{
    char p[PATH_MAX];

    (void)state;
    assert_int_equal(unit_write_file(dir, "gw", "x", 1, 0620), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, unit_path(p, dir, "gw"), geteuid(), 10), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(unit_write_file(dir, "ow", "x", 1, 0602), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, unit_path(p, dir, "ow"), geteuid(), 10), -1);
    assert_int_equal(errno, EPERM);
}

static void test_wrong_owner_refused(void **state)
{
    char p[PATH_MAX];

    (void)state;
    assert_int_equal(unit_write_file(dir, "mine", "x", 1, 0600), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, unit_path(p, dir, "mine"), geteuid() + 1, 10), -1);
    assert_int_equal(errno, EPERM);
}

static void test_too_big_refused(void **state)
{
    char p[PATH_MAX], *buf = NULL;
    size_t len = 0;
    int fd;

    (void)state;
    assert_int_equal(unit_write_file(dir, "big", "0123456789", 10, 0600), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, unit_path(p, dir, "big"), geteuid(), 9), -1);
    assert_int_equal(errno, EFBIG);
    /* Exactly at the cap is fine. */
    fd = sspr_open_safely(AT_FDCWD, p, geteuid(), 10);
    assert_true(fd >= 0);
    /* read_all enforces its own cap on what read() returns (the file can
     * grow after fstat). */
    errno = 0;
    assert_int_equal(sspr_read_all_fd(fd, 5, &buf, &len), -1);
    assert_int_equal(errno, EFBIG);
    assert_null(buf);
    close(fd);
}

static void test_directory_and_fifo_refused(void **state)
{
    char p[PATH_MAX];

    (void)state;
    assert_int_equal(mkdir(unit_path(p, dir, "sub"), 0700), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, p, geteuid(), 10), -1);
    assert_int_equal(errno, EINVAL);
    /* A FIFO with no writer would block a plain open() for ever. */
    assert_int_equal(mkfifo(unit_path(p, dir, "fifo"), 0600), 0);
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, p, geteuid(), 10), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_missing_and_empty(void **state)
{
    char p[PATH_MAX], *buf = NULL;
    size_t len = 1;
    int fd;

    (void)state;
    errno = 0;
    assert_int_equal(sspr_open_safely(AT_FDCWD, unit_path(p, dir, "nope"), geteuid(), 10), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(sspr_open_safely(AT_FDCWD, "", geteuid(), 10), -1);
    assert_int_equal(unit_write_file(dir, "empty", "", 0, 0600), 0);
    fd = sspr_open_safely(AT_FDCWD, unit_path(p, dir, "empty"), geteuid(), 10);
    assert_true(fd >= 0);
    assert_int_equal(sspr_read_all_fd(fd, 10, &buf, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    close(fd);
}

static void test_read_all_large(void **state)
{
    char p[PATH_MAX], *buf = NULL, *data;
    size_t len = 0, n = 200000, i;
    int fd;

    (void)state;
    /* Larger than the first buffer, so the grow-and-wipe path runs. */
    data = malloc(n);
    assert_non_null(data);
    for (i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    assert_int_equal(unit_write_file(dir, "large", data, n, 0600), 0);
    fd = sspr_open_safely(AT_FDCWD, unit_path(p, dir, "large"), geteuid(), n);
    assert_true(fd >= 0);
    assert_int_equal(sspr_read_all_fd(fd, n, &buf, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(buf, data, n);
    free(buf);
    free(data);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regular_file_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_to_dirfd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writable_by_others_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_owner_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_big_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_and_fifo_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_all_large, setup, teardown),
    };

    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
