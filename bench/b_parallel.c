/* sspr-bench parallel: 16 flows at once send one wrong code each, for one
 * user and for 16 users; the verdict's latency (ANSWER handed to PAM ->
 * the next frame) and the failures the throttle counted. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define WAYS 16
#define MAX_USERS 64

struct barrier {
    int ready[2], go[2];
};

static void wait_go(struct flow *fl)
{
    struct barrier *b = fl->ctx;
    char c = 'r';

    if (write(b->ready[1], &c, 1) != 1 || read(b->go[0], &c, 1) != 1)
        _exit(3);
}

struct result {
    double verdict_us;
    int refused; /* "not valid" seen */
};

/* One flow in a child: wrong code at the first code prompt, after the
 * barrier; cancel at the next prompt. */
static void child(const char *svc, const char *user, const char *wrong, struct barrier *b, int out)
{
    struct flow fl = {
        .code_action = CODE_ANSWER_THEN_CANCEL, .code = wrong, .before_answer = wait_go, .ctx = b
    };
    struct result r;

    (void)flow_run(svc, user, &fl, NULL);
    r.verdict_us = fl.t_after > 0 ? fl.t_after - fl.t_answered : -1;
    r.refused = fl.bad_code_msg;
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(4);
    _exit(0);
}

/* Run `ways` flows at once (user[k] for flow k); adds the verdicts. */
static void round_of(const char *svc, struct totp_user **user, int ways, struct samples *s)
{
    struct barrier b;
    int res[2];
    pid_t pid[WAYS];
    char wrong[WAYS][16], go[WAYS];

    if (pipe(b.ready) != 0 || pipe(b.go) != 0 || pipe(res) != 0)
        die("pipe");
    for (int k = 0; k < ways; k++)
        totp_wrong(user[k], wrong[k]);
    fflush(stdout);
    for (int k = 0; k < ways; k++) {
        if ((pid[k] = fork()) < 0)
            die("fork");
        if (pid[k] == 0) {
            close(b.ready[0]);
            close(b.go[1]);
            close(res[0]);
            child(svc, user[k]->name, wrong[k], &b, res[1]);
        }
    }
    close(b.ready[1]);
    close(b.go[0]);
    close(res[1]);
    /* every flow at its code prompt, helper started, then all answer */
    for (int got = 0; got < ways;) {
        struct pollfd p = { .fd = b.ready[0], .events = POLLIN };
        char c[WAYS];
        ssize_t n;

        if (poll(&p, 1, 30000) <= 0)
            die("the parallel flows did not all reach the code prompt");
        if ((n = read(b.ready[0], c, sizeof(c))) <= 0)
            die("a parallel flow ended before the code prompt");
        got += (int)n;
    }
    memset(go, 'g', sizeof(go));
    if (write(b.go[1], go, (size_t)ways) != ways)
        die("releasing the flows");
    for (int k = 0; k < ways; k++) {
        struct result r;

        if (read(res[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
            die("a parallel flow sent no result");
        if (r.verdict_us < 0 || !r.refused)
            die("a parallel flow got no \"not valid\" verdict");
        samples_add(s, r.verdict_us);
    }
    for (int k = 0; k < ways; k++)
        while (waitpid(pid[k], NULL, 0) < 0 && errno == EINTR)
            ;
    close(b.ready[0]);
    close(b.go[1]);
    close(res[0]);
}

/* "failures":N from the user's throttle record (the local backend's file) */
static long failures_of(const char *statedir, const char *user)
{
    struct passwd *pw = getpwnam(user);
    char path[512], buf[4096], *p;
    FILE *f;
    size_t n;

    if (pw == NULL)
        die("no such user %s", user);
    snprintf(path, sizeof(path), "%s/throttle-u%lu.json", statedir, (unsigned long)pw->pw_uid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strstr(buf, "\"failures\":")) == NULL)
        die("%s: no failures field", path);
    return atol(p + 11);
}

static void unlock(const char *helper, const char *user)
{
    static char a0[] = "sspr-helper", a1[] = "unlock", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char name[64];
    char *argv[] = { a0, a1, name, NULL };
    char *envp[] = { e0, NULL };

    snprintf(name, sizeof(name), "%s", user);

    if (run_wait_out(helper, argv, envp, true) != 0)
        die("sspr-helper unlock %s failed", user);
}

/* parallel SVC HELPER STATEDIR SAME_USER TOTP_FILE ROUNDS
 * TOTP_FILE: the same user's line and at least 16 others. */
int cmd_parallel(int ac, char **av)
{
    struct totp_user users[MAX_USERS], *same = NULL, *pick[WAYS];
    struct samples one = { 0 }, s_same = { 0 }, s_diff = { 0 };
    const char *svc, *helper, *statedir;
    int n, rounds, others = 0, miscounted = 0;

    if (ac != 6)
        die("usage: parallel SVC HELPER STATEDIR SAME_USER TOTP_FILE ROUNDS");
    svc = av[0];
    helper = av[1];
    statedir = av[2];
    n = totp_load(av[4], users, MAX_USERS);
    if ((rounds = atoi(av[5])) < 1)
        die("ROUNDS >= 1");
    for (int k = 0; k < n; k++) {
        if (strcmp(users[k].name, av[3]) == 0)
            same = &users[k];
        else if (others < WAYS)
            pick[others++] = &users[k];
    }
    if (same == NULL || others < WAYS)
        die("TOTP_FILE needs %s and %d other users", av[3], WAYS);
    for (int k = 0; k < WAYS; k++)
        unlock(helper, pick[k]->name);

    for (int r = 0; r < rounds; r++) {
        struct totp_user *all_same[WAYS];
        long f;

        /* one flow alone: the verdict without contention (baseline) */
        unlock(helper, same->name);
        for (int k = 0; k < 4; k++)
            round_of(svc, &same, 1, &one);
        /* 16 flows, one user */
        unlock(helper, same->name);
        for (int k = 0; k < WAYS; k++)
            all_same[k] = same;
        round_of(svc, all_same, WAYS, &s_same);
        if ((f = failures_of(statedir, same->name)) != WAYS) {
            printf("  round %d: %ld failures counted for %s, not %d\n", r, f, same->name, WAYS);
            miscounted++;
        }
        /* 16 flows, 16 users */
        round_of(svc, pick, WAYS, &s_diff);
        for (int k = 0; k < WAYS; k++) {
            if ((f = failures_of(statedir, pick[k]->name)) != 1) {
                printf("  round %d: %ld failures counted for %s, not 1\n", r, f, pick[k]->name);
                miscounted++;
            }
            unlock(helper, pick[k]->name);
        }
    }
    unlock(helper, same->name);
    printf(" wrong-code verdict: ANSWER handed to PAM -> next frame (%d rounds):\n", rounds);
    samples_print("1 flow alone", &one);
    printf("  %-44s p99 %.3f ms  max %.3f\n", "", samples_q(&one, .99) / 1000,
           samples_q(&one, 1) / 1000);
    samples_print("16 flows at once, one user", &s_same);
    printf("  %-44s p99 %.3f ms  max %.3f\n", "", samples_q(&s_same, .99) / 1000,
           samples_q(&s_same, 1) / 1000);
    samples_print("16 flows at once, 16 users (baseline)", &s_diff);
    printf("  %-44s p99 %.3f ms  max %.3f\n", "", samples_q(&s_diff, .99) / 1000,
           samples_q(&s_diff, 1) / 1000);
    {
        double p = samples_q(&s_same, .99), d = samples_q(&s_diff, .99);

        verdict(p <= 20000 && miscounted == 0, "same-user 16-way wrong-code verdict",
                "p99 %.2f ms  (target <= 20 ms)  p50 %.2f; 16 users p99 %.2f (ratio %.2f); "
                "failures counted %s",
                p / 1000, samples_q(&s_same, .5) / 1000, d / 1000, p / d,
                miscounted == 0 ? "exactly" : "WRONG");
    }
    samples_free(&one);
    samples_free(&s_same);
    samples_free(&s_diff);
    return 0;
}
