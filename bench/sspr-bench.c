/*
 * sspr-bench: measurements for docs/benchmarks.md. Run by bench/run.sh
 * inside the root sandbox (real users, real PAM stacks); never by make check.
 *
 *   sspr-bench normal BASE_SVC SSPR_SVC USER GOOD_PW BAD_PW ROUNDS
 *       pam_start + pam_authenticate + pam_end, interleaved A B B A per round,
 *       for the stack without and with pam_sspr, with the right and with a
 *       wrong (non-trigger) password. Medians and the ratios.
 *   sspr-bench once SVC USER PW
 *       one transaction (for strace: does the normal path spawn anything?)
 *   sspr-bench trigger SVC USER ROUNDS [CODES_FILE]
 *       Enter at Password:, "y" at the offer, then time until the helper's
 *       code prompt arrives; the flow is cancelled there. With CODES_FILE
 *       (recovery codes, one a line) also full resets, one per code. The
 *       helper's peak RSS (VmHWM, sampled from /proc while it runs).
 *   sspr-bench store DIR N ROUNDS
 *       DIR gets N enrolled users (records written directly, no fsync: that is
 *       setup, not the thing measured), then the local backend's verify for
 *       one of them through the real store API: a wrong code, and the right
 *       code (its replay mark reset before each, untimed), ROUNDS times each.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "backends/backend.h"
#include "support/base32.h"
#include "proofs/totp.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    int i = (int)(q * (n - 1) + 0.5);
    return v[i];
}

static void die(const char *what)
{
    fprintf(stderr, "sspr-bench: %s\n", what);
    exit(1);
}

/* ---- the helper's own peak RSS ------------------------------------------------------
 * getrusage(RUSAGE_CHILDREN) would count the forked copy of this process
 * before the exec (Linux keeps the old mm's high-water mark across exec), so
 * the helper's VmHWM is read from /proc while it is alive: at every
 * conversation call, the last one being the "has been changed" message that
 * comes after the writeback. */
static long helper_hwm_kb;

static void sample_helper_hwm(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[4096];
        long ppid = -1, hwm = -1;
        FILE *f;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        int is_helper = 0;
        while (fgets(buf, sizeof(buf), f) != NULL) {
            if (strncmp(buf, "Name:", 5) == 0)
                is_helper = strstr(buf, "sspr-helper") != NULL;
            else if (strncmp(buf, "PPid:", 5) == 0)
                ppid = atol(buf + 5);
            else if (strncmp(buf, "VmHWM:", 6) == 0)
                hwm = atol(buf + 6);
        }
        fclose(f);
        if (is_helper && ppid == (long)getpid() && hwm > helper_hwm_kb)
            helper_hwm_kb = hwm;
    }
    closedir(d);
}

/* ---- PAM conversation ------------------------------------------------------- */

enum conv_mode { CM_PASSWORD, CM_TRIGGER, CM_RESET };

struct conv_state {
    enum conv_mode mode;
    const char *password;     /* CM_PASSWORD */
    const char *code;         /* CM_RESET */
    const char *new_password; /* CM_RESET */
    double t_yes;             /* when "y" was handed back */
    double t_prompt;          /* when the code prompt arrived */
    int saw_code_prompt;
    int done_msg;
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct conv_state *st = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    double t = now_us();

    if (r == NULL)
        return PAM_BUF_ERR;
    if (st->mode != CM_PASSWORD)
        sample_helper_hwm();
    for (int i = 0; i < n; i++) {
        const char *m = msg[i]->msg ? msg[i]->msg : "";
        const char *ans = NULL;

        if (msg[i]->msg_style == PAM_TEXT_INFO || msg[i]->msg_style == PAM_ERROR_MSG) {
            if (strstr(m, "has been changed"))
                st->done_msg = 1;
            continue;
        }
        if (st->mode == CM_PASSWORD) {
            ans = strstr(m, "[y/N]") ? "n" : st->password;
        } else if (strncmp(m, "Password", 8) == 0) {
            ans = "";
        } else if (strstr(m, "[y/N]")) {
            ans = "y";
        } else if (strstr(m, "code") || strstr(m, "Code")) {
            if (!st->saw_code_prompt) {
                st->t_prompt = t;
                st->saw_code_prompt = 1;
            }
            if (st->mode == CM_TRIGGER)
                goto cancel;
            ans = st->code;
        } else if (strstr(m, "assword")) {
            ans = st->new_password;
        } else {
            goto cancel;
        }
        r[i].resp = strdup(ans);
        if (r[i].resp == NULL)
            goto cancel;
        if (strcmp(ans, "y") == 0)
            st->t_yes = now_us();
    }
    *resp = r;
    return PAM_SUCCESS;
cancel:
    for (int i = 0; i < n; i++)
        free(r[i].resp);
    free(r);
    return PAM_CONV_ERR;
}

static int transaction(const char *svc, const char *user, struct conv_state *st)
{
    struct pam_conv pc = { conv, st };
    pam_handle_t *pamh = NULL;
    int rc = pam_start(svc, user, &pc, &pamh);

    if (rc != PAM_SUCCESS)
        die("pam_start failed");
    rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    return rc;
}

/* ---- normal path ---------------------------------------------------------------- */

static int cmd_normal(char **av)
{
    const char *svc[2] = { av[0], av[1] }, *user = av[2];
    const char *pw[2] = { av[3], av[4] };
    int rounds = atoi(av[5]);
    double *t[2][2];
    int want[2] = { PAM_SUCCESS, PAM_AUTH_ERR };

    if (rounds < 4)
        die("ROUNDS >= 4");
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < 2; p++)
            if ((t[s][p] = calloc((size_t)rounds, sizeof(double))) == NULL)
                die("out of memory");
    /* warm up: page cache, dlopen, nscd-less NSS */
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < 2; s++)
            for (int p = 0; p < 2; p++) {
                struct conv_state st = { .mode = CM_PASSWORD, .password = pw[p] };
                if (transaction(svc[s], user, &st) != want[p])
                    die("unexpected PAM result in warm-up (check the bench stacks)");
            }
    for (int i = 0; i < rounds; i++)
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < 2; k++) {
                /* A B in even rounds, B A in odd ones: drift hits both alike */
                int s = (i + k) % 2;
                struct conv_state st = { .mode = CM_PASSWORD, .password = pw[p] };
                double t0 = now_us();
                int rc = transaction(svc[s], user, &st);
                t[s][p][i] = now_us() - t0;
                if (rc != want[p])
                    die("unexpected PAM result");
            }
    const char *pname[2] = { "correct password", "wrong password" };
    for (int p = 0; p < 2; p++) {
        double m0 = quantile(t[0][p], rounds, 0.5), m1 = quantile(t[1][p], rounds, 0.5);
        printf("normal-path %-17s without pam_sspr %8.0f us  with %8.0f us  (%+.0f us)  "
               "ratio %.3f\n", pname[p], m0, m1, m1 - m0, m1 / m0);
    }
    return 0;
}

/* ---- trigger latency and helper RSS ------------------------------------------- */

static int cmd_trigger(char **av, int ac)
{
    const char *svc = av[0], *user = av[1];
    int rounds = atoi(av[2]);
    double *lat = calloc((size_t)(rounds > 0 ? rounds : 1), sizeof(double));
    int ok = 0;

    if (lat == NULL)
        die("out of memory");
    for (int i = 0; i < rounds; i++) {
        struct conv_state st = { .mode = CM_TRIGGER };
        transaction(svc, user, &st);
        if (!st.saw_code_prompt)
            die("no code prompt after the offer (locked out? check the bench config)");
        lat[ok++] = (st.t_prompt - st.t_yes) / 1000.0;
    }
    if (ok > 0)
        printf("trigger-to-first-prompt   median %.2f ms  p95 %.2f ms  max %.2f ms  (%d runs)\n",
               quantile(lat, ok, 0.5), quantile(lat, ok, 0.95), quantile(lat, ok, 1.0), ok);
    printf("helper peak RSS (VmHWM) up to the code prompt        %.2f MiB\n",
           (double)helper_hwm_kb / 1024.0);
    if (ac > 3) {
        FILE *f = fopen(av[3], "r");
        char line[128], npw[64];
        int resets = 0;

        if (f == NULL)
            die("cannot open the codes file");
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] == '\0')
                continue;
            snprintf(npw, sizeof(npw), "Bench-%ld-%d-Zq!", (long)getpid(), resets);
            struct conv_state st = { .mode = CM_RESET, .code = line, .new_password = npw };
            transaction(svc, user, &st);
            if (!st.done_msg)
                die("a full reset with a recovery code did not finish");
            resets++;
        }
        fclose(f);
        printf("helper peak RSS (VmHWM) through writeback (%d resets) %.2f MiB\n", resets,
               (double)helper_hwm_kb / 1024.0);
    }
    return 0;
}

static int cmd_once(char **av)
{
    struct conv_state st = { .mode = CM_PASSWORD, .password = av[2] };
    int rc = transaction(av[0], av[1], &st);
    printf("%s\n", rc == PAM_SUCCESS ? "PAM_SUCCESS" : "failed");
    return 0;
}

/* ---- local store ------------------------------------------------------------------ */

#define BENCH_UID0 200000UL

static void put_record(int dirfd, unsigned long uid, const char *b32)
{
    char name[64], body[512];
    int n = snprintf(body, sizeof(body),
                     "{\"version\":1,\"uid\":%lu,\"user\":\"bench%lu\",\"totp\":{\"secret\":\"%s\","
                     "\"last_step\":-1,\"enrolled\":1700000000}}\n", uid, uid, b32);
    snprintf(name, sizeof(name), "user-%lu.json", uid);
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, body, (size_t)n) != n || close(fd) != 0)
        die("writing a record failed");
}

static int cmd_store(char **av)
{
    const char *dir = av[0];
    unsigned long n = strtoul(av[1], NULL, 10);
    int rounds = atoi(av[2]);
    uint8_t secret[SSPR_TOTP_SECRET_BYTES];
    char b32[64], code[16], wrong[16];
    struct sspr_store st;
    struct sspr_backend be;
    struct sspr_account acct;
    double *tw = calloc((size_t)rounds, sizeof(double)), *tr = calloc((size_t)rounds, sizeof(double));
    unsigned used;

    if (tw == NULL || tr == NULL || n < 1 || rounds < 1)
        die("bad arguments");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("mkdir DIR");
    chmod(dir, 0700);
    if (sspr_store_open(&st, dir, 0) != SSPR_OK)
        die("sspr_store_open refused DIR");
    sspr_totp_new_secret(secret);
    if (sspr_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) < 0)
        die("base32");

    double t0 = now_us();
    for (unsigned long i = 0; i < n; i++)
        put_record(st.dirfd, BENCH_UID0 + i, b32);
    syncfs(st.dirfd);
    double fill = (now_us() - t0) / 1e6;

    memset(&acct, 0, sizeof(acct));
    acct.known = 1;
    acct.uid = (uid_t)(BENCH_UID0 + n / 2);   /* one in the middle */
    snprintf(acct.name, sizeof(acct.name), "bench%lu", (unsigned long)acct.uid);
    sspr_backend_local(&be, &st);
    char key[64];
    sspr_local_user_key(acct.uid, key, sizeof(key));

    for (int i = 0; i < rounds; i++) {
        uint64_t step = (uint64_t)time(NULL) / SSPR_TOTP_STEP;
        if (sspr_totp_code(secret, sizeof(secret), step, SSPR_TOTP_DIGITS, code, sizeof(code)) != 0)
            die("totp code");
        snprintf(wrong, sizeof(wrong), "%06d", (atoi(code) + 500000) % 1000000);

        double a = now_us();
        if (be.verify(&be, &acct, wrong, SSPR_M_TOTP | SSPR_M_RECOVERY, &used) != SSPR_VERIFY_BAD)
            die("a wrong code did not verify as BAD");
        tw[i] = now_us() - a;

        /* untimed: forget the last accepted step, so the right code is fresh */
        put_record(st.dirfd, acct.uid, b32);
        a = now_us();
        if (be.verify(&be, &acct, code, SSPR_M_TOTP | SSPR_M_RECOVERY, &used) != SSPR_VERIFY_OK)
            die("the right code did not verify as OK");
        tr[i] = now_us() - a;
    }
    printf("store %7lu users (filled in %.1f s)  verify wrong code median %7.1f us  "
           "right code (incl. atomic write) median %7.1f us\n",
           n, fill, quantile(tw, rounds, 0.5), quantile(tr, rounds, 0.5));
    sspr_store_close(&st);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 8 && strcmp(argv[1], "normal") == 0)
        return cmd_normal(argv + 2);
    if (argc >= 5 && strcmp(argv[1], "once") == 0)
        return cmd_once(argv + 2);
    if (argc >= 5 && strcmp(argv[1], "trigger") == 0)
        return cmd_trigger(argv + 2, argc - 2);
    if (argc >= 5 && strcmp(argv[1], "store") == 0)
        return cmd_store(argv + 2);
    fprintf(stderr, "usage: see the comment at the top of bench/sspr-bench.c\n");
    return 2;
}
