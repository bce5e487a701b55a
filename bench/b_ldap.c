/* sspr-bench ldap: the LDAP backend against a real slapd (issue 11's
 * benchmark). Full TOTP resets of directory users against full resets of
 * local users in the same rounds; the LDAP operations and connections of
 * each flow, counted in slapd's own log; the same for wrong-code flows. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_USERS 64

struct ldap_ctx {
    const char *log;
    long at_code, at_newpw;
};

static void at_code(struct flow *fl)
{
    struct ldap_ctx *c = fl->ctx;

    if (c != NULL)
        c->at_code = slapdlog_size(c->log);
}

static void at_newpw(struct flow *fl)
{
    struct ldap_ctx *c = fl->ctx;

    if (c != NULL)
        c->at_newpw = slapdlog_size(c->log);
}

struct reset_times {
    struct samples total, to_code, gate, writeback;
};

static void times_free(struct reset_times *t)
{
    samples_free(&t->total);
    samples_free(&t->to_code);
    samples_free(&t->gate);
    samples_free(&t->writeback);
}

/* One full TOTP reset of the next user of the pool; its times, and with c
 * the log offsets at the code prompt and at "New password". */
static void one_reset(const char *svc, struct totp_user *u, int n, int *rot, int i,
                      struct ldap_ctx *c, struct reset_times *t, double rt[2])
{
    char code[16], pw[64];
    struct totp_user *x = totp_next_user(u, n, rot, code);
    struct flow fl = { .code_action = CODE_ANSWER_THEN_CANCEL,
                       .code = code,
                       .new_password = pw,
                       .at_code_prompt = at_code,
                       .at_new_password = at_newpw,
                       .ctx = c };

    bench_new_password(pw, sizeof(pw), i);
    (void)flow_run(svc, x->name, &fl, NULL);
    if (fl.t_done == 0)
        die("a TOTP reset of %s (%s) did not finish (last message: \"%s\")", x->name, svc,
            fl.last_msg);
    if (rt != NULL) {
        rt[0] = fl.rt_yes;
        rt[1] = fl.rt_code;
    }
    if (t != NULL) {
        samples_add(&t->total, fl.t_done - fl.t_yes);
        samples_add(&t->to_code, fl.t_code - fl.t_yes);
        samples_add(&t->gate, fl.t_newpw - fl.t_answered);
        samples_add(&t->writeback, fl.t_done - fl.t_newpw);
    }
}

/* "n TYPE" per type, the counts divided by flows (one decimal when not whole) */
static void print_types(const char *label, const struct slapd_span *sum, int flows, int min,
                        int max)
{
    char buf[512];
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; i < SLAPD_NTYPES; i++) {
        double v = (double)sum->by_type[i] / flows;
        int w;

        if (sum->by_type[i] == 0)
            continue;
        w = v == (double)(long)v ? snprintf(buf + o, sizeof(buf) - o, "%s%ld %s", o ? ", " : "",
                                            (long)v, slapd_op_names[i])
                                 : snprintf(buf + o, sizeof(buf) - o, "%s%.1f %s", o ? ", " : "", v,
                                            slapd_op_names[i]);
        if (w < 0 || (size_t)w >= sizeof(buf) - o)
            break;
        o += (size_t)w;
    }
    if (min == max)
        printf("  %-44s %d  %s\n", label, min, buf);
    else
        printf("  %-44s %.1f (%d-%d)  %s\n", label, (double)sum->ops / flows, min, max, buf);
}

static void unlock_user(const char *helper, const char *conf, const char *user)
{
    static char a0[] = "sspr-helper", a2[] = "unlock", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char cfg[600], name[64];
    char *argv[] = { a0, cfg, a2, name, NULL };
    char *envp[] = { e0, NULL };

    snprintf(cfg, sizeof(cfg), "--config=%s", conf);
    snprintf(name, sizeof(name), "%s", user);
    if (run_wait_out(helper, argv, envp, true) != 0)
        die("sspr-helper --config=%s unlock %s failed", conf, user);
}

/* fork + exec + exit + reap of path as nobody with stdin at EOF (sspr-ldap
 * exits at once), as support/child.c starts it; microseconds */
static double time_unpriv(const char *path, uid_t uid, gid_t gid)
{
    static char e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char p[512];
    char *argv[] = { p, NULL };
    char *envp[] = { e0, NULL };
    double t0 = now_us();
    int st;
    pid_t pid;

    snprintf(p, sizeof(p), "%s", path);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
            setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
            setresuid(uid, uid, uid) != 0)
            _exit(127);
        execve(path, argv, envp);
        _exit(127);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
        die("%s did not run", path);
    return now_us() - t0;
}

/* ldap LOCAL_SVC LDAP_SVC LOCAL_POOL LDAP_POOL SLAPD_LOG ROUNDS WRONG HELPER LDAP_CONF
 *      SSPR_LDAP
 * First the directory client's own start: SSPR_LDAP exec'd as nobody with
 * its input at EOF, against /bin/true, interleaved. Per round a reset of a local user (LOCAL_SVC, the local backend) and one
 * of a directory user (LDAP_SVC, backend = ldap), in alternating order;
 * then WRONG flows of directory users answering a wrong code (cancel at the
 * next prompt), whose users are unlocked afterwards (untimed). */
int cmd_ldap(int ac, char **av)
{
    struct totp_user lu[MAX_USERS], du[MAX_USERS];
    struct reset_times tl = { 0 }, td = { 0 };
    struct slapd_span sum = { 0 }, seg[3] = { { 0 } }, wsum = { 0 };
    struct samples ops = { 0 }, server = { 0 }, wops = { 0 }, wverdict = { 0 };
    /* "y" -> code prompt of the directory's flows, at slapd's milestones */
    struct samples m_accept = { 0 }, m_tls = { 0 }, m_bind = { 0 }, m_srch = { 0 },
                   m_prompt = { 0 };
    const char *log;
    int nl, nd, rounds, wrong, rl = 0, rd = 0, conn_bad = 0, flows = 0, min = 1 << 30, max = 0,
                               wmin = 1 << 30, wmax = 0, segmin[3], segmax[3];

    if (ac != 10)
        die("usage: ldap LOCAL_SVC LDAP_SVC LOCAL_POOL LDAP_POOL SLAPD_LOG ROUNDS WRONG "
            "HELPER LDAP_CONF SSPR_LDAP");
    nl = totp_load(av[2], lu, MAX_USERS);
    nd = totp_load(av[3], du, MAX_USERS);
    log = av[4];
    if ((rounds = atoi(av[5])) < 3 || (wrong = atoi(av[6])) < 1)
        die("ROUNDS >= 3, WRONG >= 1");
    for (int k = 0; k < 3; k++) {
        segmin[k] = 1 << 30;
        segmax[k] = 0;
    }
    {
        struct passwd *nobody = getpwnam("nobody");
        struct samples tt = { 0 }, tc = { 0 };

        if (nobody == NULL)
            die("no user nobody");
        for (int i = -2; i < 30; i++) {
            double a = time_unpriv("/bin/true", nobody->pw_uid, nobody->pw_gid);
            double b = time_unpriv(av[9], nobody->pw_uid, nobody->pw_gid);

            if (i >= 0) {
                samples_add(&tt, a);
                samples_add(&tc, b);
            }
        }
        printf(" the directory client's own start (as nobody, input at EOF; 30 rounds):\n");
        samples_print("/bin/true (bare exec)", &tt);
        samples_print("sspr-ldap: exec, loading, exit", &tc);
        samples_free(&tt);
        samples_free(&tc);
    }
    for (int i = -1; i < rounds; i++) { /* one warm-up round */
        for (int side = 0; side < 2; side++) {
            bool ldap = (side == 0) == (i % 2 != 0);
            struct ldap_ctx c = { .log = log };
            long from, to;
            double rt[2];

            if (!ldap) {
                one_reset(av[0], lu, nl, &rl, 2 * i + 200, NULL, i >= 0 ? &tl : NULL, NULL);
                continue;
            }
            from = slapdlog_size(log);
            c.at_code = c.at_newpw = from;
            one_reset(av[1], du, nd, &rd, 2 * i + 201, &c, i >= 0 ? &td : NULL, rt);
            to = slapdlog_settle(log, from, 2000);
            if (i < 0)
                continue;
            {
                struct slapd_span s, p[3];
                long cut[4] = { from, c.at_code, c.at_newpw, to };

                slapdlog_count(log, from, to, &s);
                slapd_span_add(&sum, &s);
                if (s.t_accept > 0 && s.t_tls > 0 && s.t_bind > 0 && s.t_srch > 0) {
                    samples_add(&m_accept, (s.t_accept - rt[0]) * 1e6);
                    samples_add(&m_tls, (s.t_tls - s.t_accept) * 1e6);
                    samples_add(&m_bind, (s.t_bind - s.t_tls) * 1e6);
                    samples_add(&m_srch, (s.t_srch - s.t_bind) * 1e6);
                    samples_add(&m_prompt, (rt[1] - s.t_srch) * 1e6);
                }
                samples_add(&ops, s.ops);
                samples_add(&server, s.server_s * 1e6);
                min = s.ops < min ? s.ops : min;
                max = s.ops > max ? s.ops : max;
                if (s.nconn != 1 || s.closed != 1) {
                    printf("  round %d: the reset's flow used %d connection(s) (%d closed)\n", i,
                           s.nconn, s.closed);
                    conn_bad++;
                }
                flows++;
                for (int k = 0; k < 3; k++) {
                    slapdlog_count_conn(log, cut[k], cut[k + 1], s.nconn > 0 ? s.conns[0] : -1,
                                        &p[k]);
                    slapd_span_add(&seg[k], &p[k]);
                    segmin[k] = p[k].ops < segmin[k] ? p[k].ops : segmin[k];
                    segmax[k] = p[k].ops > segmax[k] ? p[k].ops : segmax[k];
                }
            }
        }
    }
    totp_save(av[2], lu, nl);
    totp_save(av[3], du, nd);

    /* wrong codes */
    for (int i = 0; i < wrong; i++) {
        struct totp_user *x = &du[i % nd];
        char bad[16];
        struct flow fl = { .code_action = CODE_ANSWER_THEN_CANCEL, .code = bad };
        struct slapd_span s;
        long from = slapdlog_size(log), to;

        totp_wrong(x, bad);
        (void)flow_run(av[1], x->name, &fl, NULL);
        if (!fl.bad_code_msg)
            die("a wrong code of %s was not refused (last message: \"%s\")", x->name, fl.last_msg);
        to = slapdlog_settle(log, from, 2000);
        slapdlog_count(log, from, to, &s);
        slapd_span_add(&wsum, &s);
        samples_add(&wops, s.ops);
        samples_add(&wverdict, fl.t_after - fl.t_answered);
        wmin = s.ops < wmin ? s.ops : wmin;
        wmax = s.ops > wmax ? s.ops : wmax;
        if (s.nconn != 1 || s.closed != 1) {
            printf("  wrong code %d: the flow used %d connection(s) (%d closed)\n", i, s.nconn,
                   s.closed);
            conn_bad++;
        }
        unlock_user(av[7], av[8], x->name);
    }

    printf(" %d rounds, a local and a directory user's reset in each (order alternating):\n",
           rounds);
    samples_print("local: \"y\" -> RESULT reset-done", &tl.total);
    samples_print("ldap:  \"y\" -> RESULT reset-done", &td.total);
    samples_print("  local: \"y\" -> code prompt", &tl.to_code);
    samples_print("  ldap:  \"y\" -> code prompt", &td.to_code);
    samples_print("  local: code answered -> New password", &tl.gate);
    samples_print("  ldap:  code answered -> New password", &td.gate);
    samples_print("  local: New password -> RESULT", &tl.writeback);
    samples_print("  ldap:  New password -> RESULT", &td.writeback);
    printf(" ldap: \"y\" -> code prompt at slapd's milestones (its log's clock):\n");
    samples_print("  \"y\" -> connection accepted", &m_accept);
    samples_print("  accepted -> TLS established (StartTLS)", &m_tls);
    samples_print("  TLS established -> bind answered", &m_bind);
    samples_print("  bind answered -> account search answered", &m_srch);
    samples_print("  search answered -> code prompt", &m_prompt);
    printf(" LDAP operations per flow, counted in slapd's log (conn=C op=O):\n");
    print_types("full TOTP reset", &sum, flows, min, max);
    {
        static const char *const seglabel[3] = { "  helper start .. code prompt",
                                                 "  code prompt .. \"New password\"",
                                                 "  \"New password\" .. the flow ends" };
        for (int k = 0; k < 3; k++)
            print_types(seglabel[k], &seg[k], flows, segmin[k], segmax[k]);
    }
    printf("  %-44s median %.3f ms (qtime + etime of its operations)\n",
           "  slapd's own time per reset", samples_q(&server, .5) / 1000);
    print_types("wrong code (answer, then cancel)", &wsum, wrong, wmin, wmax);
    samples_print("  wrong code: ANSWER -> next frame", &wverdict);
    printf("  %-44s %d resets and %d wrong-code flows: %s\n", "connections per flow", flows, wrong,
           conn_bad == 0 ? "1 each, closed at the end" : "NOT 1 each (above)");
    verdict(conn_bad == 0, "LDAP: one connection per flow",
            "%d of %d flows opened exactly one (and closed it)", flows + wrong - conn_bad,
            flows + wrong);
    {
        double ratio = samples_ratio(&td.total, &tl.total);

        note_summary("LDAP full reset vs local full reset: ratio %.2f (%.2f ms vs %.2f ms, "
                     "medians of the same rounds)",
                     ratio, samples_q(&td.total, .5) / 1000, samples_q(&tl.total, .5) / 1000);
        note_summary("LDAP operations per flow: full reset %.0f (min %d, max %d), wrong code "
                     "%.0f (min %d, max %d); slapd's own time per reset %.2f ms",
                     samples_q(&ops, .5), min, max, samples_q(&wops, .5), wmin, wmax,
                     samples_q(&server, .5) / 1000);
    }
    times_free(&tl);
    times_free(&td);
    samples_free(&ops);
    samples_free(&server);
    samples_free(&wops);
    samples_free(&wverdict);
    samples_free(&m_accept);
    samples_free(&m_tls);
    samples_free(&m_bind);
    samples_free(&m_srch);
    samples_free(&m_prompt);
    return 0;
}
