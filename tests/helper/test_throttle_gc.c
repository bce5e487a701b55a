/* Throttle records of names that match no account: kept 256 to a bucket
 * record (backends/local/names.c), swept once they say nothing any more,
 * accounts' records and live ones kept; records of older versions (one
 * file per name) still read, moved into the bucket and swept; a full
 * bucket forgets the name idle longest; unreadable entries are kept. */
#include "autoconf.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../filter.h"
#include <sodium.h>

#include "backends/local/local.h"
#include "backends/local/store.h"
#include "support/config.h"
#include "state/throttle.h"
#include "unit_util.h"

static char dir[sizeof("/tmp/sspr-gc-XXXXXX")];
static struct sspr_config cfg;
static struct sspr_backend be;
static const time_t T0 = 1000000;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sspr-gc-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0700), 0);
    sspr_config_defaults(&cfg);
    assert_int_equal(unit_local_open(&be, &cfg, dir, 0), SSPR_OK);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    sspr_backend_close(&be);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/<pre><key><suf> */
static int file_at(const char *pre, const char *key, const char *suf)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s%s%s", dir, pre, key, suf);
    return access(path, F_OK) == 0;
}

static int count_files(const char *prefix)
{
    char cmd[256];
    int n = -1;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "ls -1 %s | grep -c '^%s' || true", dir, prefix);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int failures(const char *key, time_t now)
{
    struct sspr_throttle_state ts;

    assert_int_equal(sspr_throttle_get(&be, unit_subject(key), now, &ts), SSPR_OK);
    return ts.failures;
}

/* the name key of bucket b, number i */
static void name_key(char *out, size_t len, unsigned b, unsigned i)
{
    snprintf(out, len, "throttle-n%02x%030x", b, i);
}

static void write_raw(const char *name, const char *text)
{
    char path[256];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static const char *read_raw(const char *name)
{
    static char buf[4096];
    char path[256];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void sweeps_only_expired_unknown_names(void **state)
{
    struct sspr_throttle_state ts;
    char unknown[96], live[96], account[96];
    unsigned removed = 99;
    time_t later = T0 + cfg.failure_window + 1;

    (void)state;
    assert_int_equal(unit_throttle_key(&be, -1, "made-up-name", unknown, sizeof(unknown)), 0);
    assert_int_equal(unit_throttle_key(&be, -1, "another-name", live, sizeof(live)), 0);
    assert_int_equal(unit_throttle_key(&be, 1000, "alice", account, sizeof(account)), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(unknown), T0, &ts), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(unknown), T0 + 1, &ts), 0);
    assert_int_equal(ts.failures, 2);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(account), T0, &ts), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(live), later, &ts), 0);
    /* no file of its own for a name nobody has */
    assert_false(file_at("", unknown, ".json"));
    assert_true(count_files("throttle-names-") >= 1);

    /* inside the window nothing goes */
    assert_int_equal(sspr_be_gc(&be, T0 + 1, &removed), SSPR_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(failures(unknown, T0 + 2), 2);
    /* after it: the expired unknown name goes, the live one and the account stay */
    assert_int_equal(sspr_be_gc(&be, later, &removed), SSPR_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(failures(live, later), 1);
    assert_true(file_at("", account, ".json")); /* accounts are never swept */
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(unknown), later, &ts), 0);
    assert_int_equal(ts.failures, 1); /* a fresh count, not the old one */
    /* a sweep of buckets that say nothing any more leaves no bucket behind */
    assert_int_equal(sspr_be_gc(&be, later + 2 * cfg.failure_window, &removed), SSPR_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(count_files("throttle-names-.*lines"), 0);
}

static void names_in_one_bucket_count_apart(void **state)
{
    struct sspr_throttle_state ts;
    char a[64], b[64];

    (void)state;
    name_key(a, sizeof(a), 0x42, 1);
    name_key(b, sizeof(b), 0x42, 2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sspr_throttle_fail(&be, unit_subject(a), T0 + i, &ts), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(b), T0, &ts), 0);
    assert_int_equal(failures(a, T0 + 5), 3);
    assert_int_equal(failures(b, T0 + 5), 1);
    assert_true(file_at("", "throttle-names-42", ".lines"));
    assert_int_equal(count_files("throttle-names-.*lines"), 1);
    /* clearing one leaves the other */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(a)), SSPR_OK);
    assert_int_equal(failures(a, T0 + 5), 0);
    assert_int_equal(failures(b, T0 + 5), 1);
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(b)), SSPR_OK);
    assert_false(file_at("", "throttle-names-42", ".lines")); /* empty: removed */
}

/* A record written by a version that kept one file per name. */
static void legacy_records_read_moved_and_swept(void **state)
{
    struct sspr_throttle_state ts;
    char old[64], stale[64], text[256], name[96];
    unsigned removed = 0;

    (void)state;
    name_key(old, sizeof(old), 0x07, 1);
    name_key(stale, sizeof(stale), 0x08, 1);
    snprintf(text, sizeof(text),
             "{\"consecutive\":3,\"failures\":3,\"locked_until\":0,\"since\":%lld}",
             (long long)T0);
    snprintf(name, sizeof(name), "%s.json", old);
    write_raw(name, text);
    snprintf(name, sizeof(name), "%s.lock", old);
    write_raw(name, "");
    snprintf(text, sizeof(text),
             "{\"consecutive\":3,\"failures\":3,\"locked_until\":0,\"since\":%lld}",
             (long long)(T0 - cfg.failure_window - 10));
    snprintf(name, sizeof(name), "%s.json", stale);
    write_raw(name, text);
    snprintf(name, sizeof(name), "gate-%s.lock", stale);
    write_raw(name, "");

    /* an upgrade forgets no count */
    assert_int_equal(failures(old, T0 + 1), 3);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(old), T0 + 2, &ts), 0);
    assert_int_equal(ts.failures, 4);
    /* and the next update moved it into its bucket */
    assert_false(file_at("", old, ".json"));
    assert_false(file_at("", old, ".lock"));
    assert_true(file_at("", "throttle-names-07", ".lines"));
    assert_int_equal(failures(old, T0 + 3), 4);

    /* an old file that cannot be read fails closed, and the admin's unlock
     * clears it */
    {
        char broken[64];
        name_key(broken, sizeof(broken), 0x09, 1);
        snprintf(name, sizeof(name), "%s.json", broken);
        write_raw(name, "{not json");
        assert_int_equal(sspr_throttle_get(&be, unit_subject(broken), T0, &ts), SSPR_ERR_CORRUPT);
        assert_int_equal(sspr_throttle_clear(&be, unit_subject(broken)), SSPR_OK);
        assert_false(file_at("", broken, ".json"));
        assert_int_equal(failures(broken, T0), 0);
    }

    /* an old record that says nothing any more is swept, with its locks */
    assert_int_equal(sspr_be_gc(&be, T0 + 10, &removed), SSPR_OK);
    assert_int_equal(removed, 1); /* `old` still counts */
    assert_int_equal(failures(old, T0 + 11), 4);
    assert_false(file_at("", stale, ".json"));
    assert_false(file_at("gate-", stale, ".lock"));
}

/* "<hex> <record>" with one failure since t */
static void line_for(char *out, size_t len, const char *hex, long long t)
{
    snprintf(out, len, "%s {\"consecutive\":1,\"failures\":1,\"locked_until\":0,\"since\":%lld}\n",
             hex, t);
}

/* Past the byte cap the readable line idle longest goes; unreadable lines
 * and the one being written never do (names_lines.c's contract, with a
 * small cap: the store's is 256 KiB). */
static void full_bucket_forgets_the_longest_idle(void **state)
{
    static const char *hx[] = { "aa000000000000000000000000000001", "aa000000000000000000000000000002",
                                "aa000000000000000000000000000003", "aa000000000000000000000000000004" };
    struct sspr_names_text out;
    struct sspr_throttle_rec r, got;
    char text[1024], l[200];
    const char *bad = "aa00000000000000000000000000000f {\"failures\":\"x\"}\n";
    size_t one;
    int found;

    (void)state;
    text[0] = '\0';
    line_for(l, sizeof(l), hx[0], T0 + 50); /* newest */
    strcat(text, l);
    line_for(l, sizeof(l), hx[1], T0 + 10); /* idle longest */
    strcat(text, l);
    strcat(text, bad);
    line_for(l, sizeof(l), hx[2], T0 + 30);
    strcat(text, l);
    one = strlen(l);
    memset(&r, 0, sizeof(r));
    r.failures = r.consecutive = 1;
    r.since = T0 + 60;
    /* room for everything: nothing goes */
    assert_int_equal(sspr_names_replace(text, strlen(text), hx[3], &r, 4096, &out), SSPR_OK);
    assert_int_equal(out.lines, 5);
    sspr_names_text_free(&out);
    /* room for one line fewer: hx[1] goes, the unreadable one stays */
    assert_int_equal(sspr_names_replace(text, strlen(text), hx[3], &r, strlen(text), &out),
                     SSPR_OK);
    assert_true(out.len <= strlen(text));
    assert_null(strstr(out.p, hx[1]));
    assert_non_null(strstr(out.p, bad));
    assert_non_null(strstr(out.p, hx[0]));
    assert_non_null(strstr(out.p, hx[2]));
    assert_int_equal(sspr_names_find(out.p, out.len, hx[3], &got, &found), SSPR_OK);
    assert_int_equal(found, 1);
    assert_memory_equal(&got, &r, sizeof(r));
    sspr_names_text_free(&out);
    /* room for two fewer: hx[2] (next idlest) goes as well */
    assert_int_equal(
        sspr_names_replace(text, strlen(text), hx[3], &r, strlen(text) - one, &out), SSPR_OK);
    assert_null(strstr(out.p, hx[1]));
    assert_null(strstr(out.p, hx[2]));
    assert_non_null(strstr(out.p, hx[0]));
    sspr_names_text_free(&out);
    /* only the unreadable line left to give: the write is refused */
    assert_int_equal(sspr_names_replace(bad, strlen(bad), hx[3], &r, strlen(bad), &out),
                     SSPR_ERR_IO);
    assert_null(out.p);
}

/* Failures in a row outlive their window, and a name with a lockout's
 * worth of them is kept by the sweep, so it reaches max_consecutive as an
 * account does; a name typed once goes. */
static void sweep_keeps_failures_in_a_row(void **state)
{
    struct sspr_throttle_state ts;
    char probed[64], once[64];
    unsigned removed = 0;

    (void)state;
    name_key(probed, sizeof(probed), 0x61, 1);
    name_key(once, sizeof(once), 0x61, 2);
    for (int i = 0; i < cfg.max_failures; i++)
        assert_int_equal(sspr_throttle_fail(&be, unit_subject(probed), T0 + i, &ts), 0);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(once), T0, &ts), 0);
    assert_int_equal(sspr_be_gc(&be, T0 + 10 * (cfg.failure_window + cfg.lockout), &removed),
                     SSPR_OK);
    assert_int_equal(removed, 1);
    assert_non_null(strstr(read_raw("throttle-names-61.lines"), probed + strlen("throttle-n")));
    assert_null(strstr(read_raw("throttle-names-61.lines"), once + strlen("throttle-n")));
}

static void unreadable_entries_kept_and_fail_closed(void **state)
{
    struct sspr_throttle_state ts;
    char bad[64], good[64], text[512];
    unsigned removed = 0;

    (void)state;
    name_key(bad, sizeof(bad), 0x31, 1);
    name_key(good, sizeof(good), 0x31, 2);
    snprintf(text, sizeof(text), "%s {\"failures\":\"many\"}\nnot a name line\n",
             bad + strlen("throttle-n"));
    write_raw("throttle-names-31.lines", text);
    /* the unreadable name counts as locked out; its neighbour works */
    assert_int_equal(sspr_throttle_get(&be, unit_subject(bad), T0, &ts), SSPR_ERR_CORRUPT);
    assert_true(sspr_throttle_locked(&ts, T0));
    assert_int_not_equal(sspr_throttle_fail(&be, unit_subject(bad), T0, &ts), SSPR_OK);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(good), T0, &ts), SSPR_OK);
    /* a sweep keeps what it cannot read */
    assert_int_equal(sspr_be_gc(&be, T0 + 10 * cfg.failure_window, &removed), SSPR_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(sspr_throttle_get(&be, unit_subject(bad), T0, &ts), SSPR_ERR_CORRUPT);
    /* an admin's unlock starts that name afresh */
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(bad)), SSPR_OK);
    assert_int_equal(failures(bad, T0), 0);

    /* the line that is no name's stays through updates and sweeps */
    assert_non_null(strstr(read_raw("throttle-names-31.lines"), "not a name line\n"));
    /* two lines for one name: which counts is unknown, so it fails closed */
    snprintf(text, sizeof(text), "%s {\"consecutive\":1,\"failures\":1,\"locked_until\":0,"
             "\"since\":%lld}\n", good + strlen("throttle-n"), (long long)T0);
    {
        char twice[1100];
        snprintf(twice, sizeof(twice), "%s%s", text, text);
        write_raw("throttle-names-31.lines", twice);
    }
    assert_int_equal(sspr_throttle_get(&be, unit_subject(good), T0, &ts), SSPR_ERR_CORRUPT);
    assert_true(sspr_throttle_locked(&ts, T0));
    assert_int_equal(sspr_throttle_clear(&be, unit_subject(good)), SSPR_OK);
    assert_int_equal(failures(good, T0), 0);
    /* buckets we never write (too big, empty, a NUL, no last newline):
     * every name in them fails closed until unlocked */
    {
        static char big[300 * 1024];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 2] = '\n';
        char nul[600];
        snprintf(nul, sizeof(nul), "%s", text);
        nul[3] = '\0';
        const struct {
            const char *data;
            size_t len;
        } damaged[] = {
            { big, sizeof(big) - 1 }, { "", 0 }, { nul, strlen(text) }, { text, strlen(text) - 1 }
        };
        for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
            char path[256];
            FILE *f;

            snprintf(path, sizeof(path), "%s/throttle-names-31.lines", dir);
            f = fopen(path, "w");
            assert_non_null(f);
            assert_int_equal(fwrite(damaged[i].data, 1, damaged[i].len, f), damaged[i].len);
            fclose(f);
            assert_int_equal(sspr_throttle_get(&be, unit_subject(good), T0, &ts), SSPR_ERR_CORRUPT);
            assert_true(sspr_throttle_locked(&ts, T0));
            assert_int_not_equal(sspr_throttle_fail(&be, unit_subject(bad), T0, &ts), SSPR_OK);
            assert_int_equal(sspr_be_gc(&be, T0 + 10 * cfg.failure_window, &removed), SSPR_OK);
            assert_int_equal(removed, 0);
            /* the unlock sets the bucket aside for the admin and starts afresh */
            assert_int_equal(sspr_throttle_clear(&be, unit_subject(good)), SSPR_OK);
            assert_int_equal(failures(good, T0), 0);
            assert_true(file_at("", "throttle-names-31", ".lines.corrupt"));
            assert_int_equal(sspr_throttle_fail(&be, unit_subject(bad), T0, &ts), SSPR_OK);
            assert_int_equal(ts.failures, 1);
        }
    }
    /* a damaged line is its name's, never no line: "<hex>", "<hex>\t..." */
    {
        char hexonly[80];
        snprintf(hexonly, sizeof(hexonly), "%s\n", good + strlen("throttle-n"));
        write_raw("throttle-names-31.lines", hexonly);
        assert_int_equal(sspr_throttle_get(&be, unit_subject(good), T0, &ts), SSPR_ERR_CORRUPT);
        snprintf(hexonly, sizeof(hexonly), "%s\t{}\n", good + strlen("throttle-n"));
        write_raw("throttle-names-31.lines", hexonly);
        assert_int_equal(sspr_throttle_get(&be, unit_subject(good), T0, &ts), SSPR_ERR_CORRUPT);
    }
}

/* A bucket in use is skipped, not waited for. */
static void busy_bucket_skipped(void **state)
{
    struct sspr_throttle_state ts;
    char key[64];
    unsigned removed = 99;
    int lockfd;

    (void)state;
    name_key(key, sizeof(key), 0x55, 1);
    assert_int_equal(sspr_throttle_fail(&be, unit_subject(key), T0, &ts), 0);
    lockfd = sspr_store_lock(unit_local_store(&be), "throttle-names-55", 0);
    assert_true(lockfd >= 0);
    assert_int_equal(sspr_be_gc(&be, T0 + 10 * cfg.failure_window, &removed), SSPR_OK);
    assert_int_equal(removed, 0);
    sspr_store_unlock(lockfd);
    assert_int_equal(sspr_be_gc(&be, T0 + 10 * cfg.failure_window, &removed), SSPR_OK);
    assert_int_equal(removed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sweeps_only_expired_unknown_names, setup, teardown),
        cmocka_unit_test_setup_teardown(names_in_one_bucket_count_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_records_read_moved_and_swept, setup, teardown),
        cmocka_unit_test_setup_teardown(full_bucket_forgets_the_longest_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(sweep_keeps_failures_in_a_row, setup, teardown),
        cmocka_unit_test_setup_teardown(unreadable_entries_kept_and_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_bucket_skipped, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    sspr_test_filter();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
