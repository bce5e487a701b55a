/* sspr-bench reset / fsyncs: a whole TOTP reset against the writeback
 * alone (in-process pam_chauthtok on the same stack), and how many fsyncs
 * a flow costs. */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_USERS 64

/* reset SVC PASSWD_SVC BASE_USER TOTP_FILE ROUNDS [DISKDIR]
 * With DISKDIR, one atomic record write there per round (untimed for the
 * flows): what the disk charged while they ran. */
int cmd_reset(int ac, char **av)
{
    struct totp_user users[MAX_USERS];
    struct samples t_ch = { 0 }, t_res = { 0 }, t_ret = { 0 }, t_gate = { 0 }, t_wb = { 0 },
                   t_disk = { 0 };
    int n, rounds, rot = 0, dfd = -1;

    if (ac != 5 && ac != 6)
        die("usage: reset SVC PASSWD_SVC BASE_USER TOTP_FILE ROUNDS [DISKDIR]");
    if (ac == 6 && (dfd = open(av[5], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        die("cannot open %s", av[5]);
    n = totp_load(av[3], users, MAX_USERS);
    if ((rounds = atoi(av[4])) < 3)
        die("ROUNDS >= 3");
    for (int i = -1; i < rounds; i++) {
        char pw[64], code[16], said[256];
        struct totp_user *u;
        double t0, tret;
        int rc;

        bench_new_password(pw, sizeof(pw), 2 * i + 100);
        t0 = now_us();
        rc = chauthtok_run(av[1], av[2], pw, said, sizeof(said));
        if (rc != PAM_SUCCESS)
            die("pam_chauthtok(%s, %s) failed: %s (it said \"%s\")", av[1], av[2],
                pam_strerror(NULL, rc), said);
        if (i >= 0)
            samples_add(&t_ch, now_us() - t0);

        u = totp_next_user(users, n, &rot, code);
        bench_new_password(pw, sizeof(pw), 2 * i + 101);
        struct flow fl = { .code_action = CODE_ANSWER_THEN_CANCEL,
                           .code = code,
                           .new_password = pw };
        (void)flow_run(av[0], u->name, &fl, &tret);
        if (fl.t_done == 0)
            die("a TOTP reset of %s did not finish (last message: \"%s\")", u->name, fl.last_msg);
        if (i < 0)
            continue;
        if (dfd >= 0)
            samples_add(&t_disk, disk_atomic_write(dfd));
        samples_add(&t_res, fl.t_done - fl.t_yes);
        samples_add(&t_ret, tret - fl.t_yes);
        samples_add(&t_gate, fl.t_newpw - fl.t_answered);
        samples_add(&t_wb, fl.t_done - fl.t_newpw);
    }
    totp_save(av[3], users, n);
    printf(" %d rounds, interleaved (%d TOTP users in turn):\n", rounds, n);
    samples_print("in-process pam_chauthtok (baseline)", &t_ch);
    samples_print("reset: \"y\" -> RESULT reset-done", &t_res);
    samples_print("reset: \"y\" -> pam_authenticate returns", &t_ret);
    samples_print("  of which: code answered -> New password", &t_gate);
    samples_print("  of which: New password -> RESULT", &t_wb);
    if (dfd >= 0) {
        samples_print("the disk meanwhile: one atomic record write", &t_disk);
        close(dfd);
    }
    {
        double b = samples_q(&t_ch, .5), r = samples_q(&t_res, .5);
        double ratio = samples_ratio(&t_res, &t_ch);

        verdict(ratio <= 1.6, "full TOTP reset vs pam_chauthtok",
                "ratio %.2f  (target <= 1.60)  %.2f ms vs %.2f ms", ratio, r / 1000, b / 1000);
    }
    samples_free(&t_ch);
    samples_free(&t_res);
    samples_free(&t_ret);
    samples_free(&t_gate);
    samples_free(&t_wb);
    samples_free(&t_disk);
    return 0;
}

/* ---- fsyncs: markers for strace ----
 * fsync() on a negative fd fails with EBADF at once and shows in strace's
 * output as "fsync(-10N)": inside.sh counts the real fsyncs between them. */
static void mark(int n)
{
    (void)fsync(-100 - n);
}

static void mark_code(struct flow *fl)
{
    (void)fl;
    mark(1);
}

static void mark_newpw(struct flow *fl)
{
    (void)fl;
    mark(2);
}

static void mark_answer(struct flow *fl)
{
    (void)fl;
    mark(4);
}

/* fsyncs SVC PASSWD_SVC BASE_USER TOTP_FILE
 *   -100 start, -101 code prompt, -102 New password, -103 reset returned,
 *   -104 wrong code about to be answered, -105 that flow returned,
 *   -106 pam_chauthtok begins, -107 it returned */
int cmd_fsync_flow(int ac, char **av)
{
    struct totp_user users[MAX_USERS];
    char code[16], wrong[16], pw[64], said[256];
    struct totp_user *u;
    int n, rot = 0, rc;

    if (ac != 4)
        die("usage: fsyncs SVC PASSWD_SVC BASE_USER TOTP_FILE");
    n = totp_load(av[3], users, MAX_USERS);
    u = totp_next_user(users, n, &rot, code);
    bench_new_password(pw, sizeof(pw), 1);
    mark(0);
    struct flow fl = { .code_action = CODE_ANSWER_THEN_CANCEL,
                       .code = code,
                       .new_password = pw,
                       .at_code_prompt = mark_code,
                       .at_new_password = mark_newpw };
    (void)flow_run(av[0], u->name, &fl, NULL);
    mark(3);
    totp_save(av[3], users, n);
    if (fl.t_done == 0)
        die("the reset did not finish (last message: \"%s\")", fl.last_msg);

    totp_wrong(u, wrong);
    struct flow fw = { .code_action = CODE_ANSWER_THEN_CANCEL,
                       .code = wrong,
                       .before_answer = mark_answer };
    (void)flow_run(av[0], u->name, &fw, NULL);
    mark(5);
    if (!fw.bad_code_msg)
        die("a wrong code was not refused (last message: \"%s\")", fw.last_msg);

    bench_new_password(pw, sizeof(pw), 2);
    mark(6);
    rc = chauthtok_run(av[1], av[2], pw, said, sizeof(said));
    mark(7);
    if (rc != PAM_SUCCESS)
        die("pam_chauthtok failed: %s (it said \"%s\")", pam_strerror(NULL, rc), said);
    printf("flows done\n");
    return 0;
}
