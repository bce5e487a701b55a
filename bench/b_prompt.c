/* sspr-bench startup / prompt: what "y" -> the first gate prompt costs,
 * against a bare exec, and where that time goes; cancel; the helper's
 * memory at the code prompt. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_RDTSC 1
#endif

#include "bench.h"
#include "kv.h"
#include "wire.h"

static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lc[] = "LC_ALL=C";
static char env_ld[] = "LD_DEBUG=statistics";
static char *const module_env[] = { env_path, env_lc, NULL }; /* what pam_sspr passes */
static char *const lddebug_env[] = { env_path, env_lc, env_ld, NULL };

/* fork + exec + exit + reap, as the module forks (from this PAM process) */
static double time_exec(const char *path)
{
    char p[512];
    char *argv[] = { p, NULL };
    double t0;

    snprintf(p, sizeof(p), "%s", path);
    t0 = now_us();
    if (run_wait(path, argv, module_env) != 0)
        die("%s did not exit 0", path);
    return now_us() - t0;
}

static pid_t start_helper(const char *helper, int sv[2], int errfd, char *const envp[])
{
    static char a0[] = "sspr-helper", a1[] = "pam";
    char *argv[] = { a0, a1, NULL };
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        die("socketpair: %s", strerror(errno));
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(errfd >= 0 ? errfd : null, 2) < 0)
            _exit(127);
        if (close_range(3, ~0U, 0) != 0)
            _exit(127);
        execve(helper, argv, envp);
        _exit(127);
    }
    close(sv[1]);
    return pid;
}

static void reap(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

/* The helper with its channel closed: exec, dynamic linking, main() up to
 * the HELLO read (sodium_init, the config), and its exit. */
static double helper_eof(const char *helper, int errfd, char *const envp[])
{
    int sv[2];
    double t0 = now_us();
    pid_t pid = start_helper(helper, sv, errfd, envp);

    close(sv[0]);
    reap(pid);
    return now_us() - t0;
}

/* The helper driven directly (the module's part done here): fork .. the
 * first prompt frame after HELLO. The flow is then cancelled, untimed. */
static double helper_hello(const char *helper, const char *svc, const char *user)
{
    char buf[SSPR_WIRE_MAX_PAYLOAD];
    size_t len = 0;
    struct sspr_frame f;
    int sv[2];
    double t0 = now_us(), t = 0;
    pid_t pid = start_helper(helper, sv, -1, module_env);

    if (sspr_kv_append(buf, sizeof(buf), &len, "version", "1") != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "user", user) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "service", svc) != 0 ||
        sspr_kv_append(buf, sizeof(buf), &len, "mode", "offer") != 0 ||
        sspr_wire_send(sv[0], SSPR_F_HELLO, buf, len, sspr_now_ms() + 10000) != SSPR_WIRE_OK)
        die("sending HELLO to the helper failed");
    for (;;) {
        if (sspr_wire_recv(sv[0], &f, sspr_now_ms() + 10000) != SSPR_WIRE_OK)
            die("the helper sent no prompt after HELLO");
        if (f.type == SSPR_F_PROMPT_ECHO_OFF || f.type == SSPR_F_PROMPT_ECHO_ON) {
            t = now_us();
            break;
        }
        if (f.type == SSPR_F_RESULT)
            die("the helper ended the flow before a prompt: %s", f.payload);
    }
    (void)sspr_wire_send(sv[0], SSPR_F_CANCEL, NULL, 0, sspr_now_ms() + 2000);
    while (sspr_wire_recv(sv[0], &f, sspr_now_ms() + 2000) == SSPR_WIRE_OK)
        ;
    close(sv[0]);
    reap(pid);
    return t - t0;
}

/* ---- LD_DEBUG=statistics ---- */

static double tsc_per_us(void)
{
#ifdef HAVE_RDTSC
    double t0 = now_us();
    unsigned long long c0 = __rdtsc();

    sleep_us(100000);
    return (double)(__rdtsc() - c0) / (now_us() - t0);
#else
    return 0;
#endif
}

struct ldstats {
    double startup_cycles, reloc_cycles, load_cycles;
    long relocs, relative;
};

static void ldstats_parse(int fd, struct ldstats *s)
{
    char buf[16384], *p;
    ssize_t n, got = 0;

    memset(s, 0, sizeof(*s));
    while (got < (ssize_t)sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += n;
    buf[got] = '\0';
    if ((p = strstr(buf, "total startup time in dynamic loader:")) != NULL)
        s->startup_cycles = atof(p + 37);
    if ((p = strstr(buf, "time needed for relocation:")) != NULL)
        s->reloc_cycles = atof(p + 27);
    if ((p = strstr(buf, "time needed to load objects:")) != NULL)
        s->load_cycles = atof(p + 28);
    if ((p = strstr(buf, "number of relocations:")) != NULL)
        s->relocs = atol(p + 22);
    if ((p = strstr(buf, "number of relative relocations:")) != NULL)
        s->relative = atol(p + 31);
}

static void lddebug_one(const char *label, const char *path, const char *helper, double tpu)
{
    int pfd[2];
    struct ldstats s;

    if (pipe(pfd) != 0)
        die("pipe");
    if (helper != NULL) {
        (void)helper_eof(helper, pfd[1], lddebug_env);
    } else {
        pid_t pid = fork();
        if (pid == 0) {
            char p[512];
            char *argv[] = { p, NULL };
            snprintf(p, sizeof(p), "%s", path);
            dup2(pfd[1], 2);
            execve(path, argv, lddebug_env);
            _exit(127);
        }
        reap(pid);
    }
    close(pfd[1]);
    ldstats_parse(pfd[0], &s);
    close(pfd[0]);
    if (tpu > 0)
        printf("  %-30s ld.so start-up %6.3f ms (loading %6.3f, relocating %6.3f); "
               "%ld symbol + %ld relative relocations\n",
               label, s.startup_cycles / tpu / 1000, s.load_cycles / tpu / 1000,
               s.reloc_cycles / tpu / 1000, s.relocs, s.relative);
    else
        printf("  %-30s ld.so start-up %.0f cycles; %ld symbol + %ld relative relocations\n", label,
               s.startup_cycles, s.relocs, s.relative);
}

/* startup HELPER PROBEDIR SVC USER ROUNDS
 * Interleaved per round: /bin/true; the ld probes (an empty main linked
 * against the helper's own libraries, see bench/mkprobes.sh); the helper
 * with a closed channel; the helper driven directly to its first prompt. */
int cmd_startup(int ac, char **av)
{
    static const char *const probes[] = { "probe-now",    "probe-lazy",     "probe-libc",
                                          "probe-nocurl", "probe-curl-now", "probe-curl-lazy" };
    enum { NPROBES = sizeof(probes) / sizeof(probes[0]) };
    const char *helper, *dir, *svc, *user;
    char ppath[NPROBES][512];
    struct samples t_true = { 0 }, t_probe[NPROBES] = { { 0 } }, t_eof = { 0 }, t_hello = { 0 },
                   t_pam = { 0 };
    int rounds, have[NPROBES];
    double tpu;

    if (ac != 5)
        die("usage: startup HELPER PROBEDIR SVC USER ROUNDS");
    helper = av[0];
    dir = av[1];
    svc = av[2];
    user = av[3];
    if ((rounds = atoi(av[4])) < 3)
        die("ROUNDS >= 3");
    for (int k = 0; k < NPROBES; k++) {
        snprintf(ppath[k], sizeof(ppath[k]), "%s/%s", dir, probes[k]);
        have[k] = access(ppath[k], X_OK) == 0;
    }
    for (int i = -2; i < rounds; i++) { /* two warm-up rounds */
        double x;

        x = time_exec("/bin/true");
        if (i >= 0)
            samples_add(&t_true, x);
        for (int k = 0; k < NPROBES; k++)
            if (have[k] && (x = time_exec(ppath[k]), i >= 0))
                samples_add(&t_probe[k], x);
        x = helper_eof(helper, -1, module_env);
        if (i >= 0)
            samples_add(&t_eof, x);
        x = helper_hello(helper, svc, user);
        if (i >= 0)
            samples_add(&t_hello, x);
        {
            struct flow fl = { .code_action = CODE_CANCEL };
            (void)flow_run(svc, user, &fl, NULL);
            if (fl.t_first == 0)
                die("no prompt after the offer (last message: \"%s\")", fl.last_msg);
            if (i >= 0)
                samples_add(&t_pam, fl.t_first - fl.t_yes);
        }
    }
    printf(" fork+exec+exit, from this PAM process (%d rounds, interleaved):\n", rounds);
    samples_print("/bin/true (bare exec)", &t_true);
    for (int k = 0; k < NPROBES; k++)
        if (have[k]) {
            char label[96];
            snprintf(label, sizeof(label), "%s (empty main)", probes[k]);
            samples_print(label, &t_probe[k]);
        }
    samples_print("sspr-helper pam, channel closed at once", &t_eof);
    samples_print("sspr-helper pam, fork .. first prompt frame", &t_hello);
    samples_print("through pam_sspr: \"y\" .. first prompt", &t_pam);
    {
        double tr = samples_q(&t_true, .5), pn = have[0] ? samples_q(&t_probe[0], .5) : tr;
        double e = samples_q(&t_eof, .5), h = samples_q(&t_hello, .5);

        printf(" where the direct first prompt goes (differences of medians):\n");
        printf("  %-44s %8.3f ms\n", "fork + exec + exit (/bin/true)", tr / 1000);
        if (have[0] && have[2]) {
            double pl = samples_q(&t_probe[2], .5);

            printf("  %-44s %8.3f ms\n", "+ an empty PIE of libc alone instead", (pl - tr) / 1000);
            printf("  %-44s %8.3f ms\n", "+ loading and linking the helper's libraries",
                   (pn - pl) / 1000);
        } else if (have[0]) {
            printf("  %-44s %8.3f ms\n", "+ loading and linking the helper's libraries",
                   (pn - tr) / 1000);
        }
        printf("  %-44s %8.3f ms\n", "+ main() to the HELLO read, and exit", (e - pn) / 1000);
        printf("  %-44s %8.3f ms\n", "+ HELLO to the first prompt frame", (h - e) / 1000);
        printf("  %-44s %8.3f ms\n", "+ the module's part (spawn, relay, INFO)",
               (samples_q(&t_pam, .5) - h) / 1000);
    }
    tpu = tsc_per_us();
    printf(" LD_DEBUG=statistics (one run each; TSC %.0f MHz):\n", tpu);
    lddebug_one("/bin/true", "/bin/true", NULL, tpu);
    for (int k = 0; k < NPROBES; k++)
        if (have[k])
            lddebug_one(probes[k], ppath[k], NULL, tpu);
    lddebug_one("sspr-helper", NULL, helper, tpu);
    samples_free(&t_true);
    for (int k = 0; k < NPROBES; k++)
        samples_free(&t_probe[k]);
    samples_free(&t_eof);
    samples_free(&t_hello);
    return 0;
}

/* ---- prompt: through the module ---- */

struct rss_ctx {
    struct samples hwm, rss, anon, file, libs;
    bool printed;
    const char *libs_file;
};

static void at_prompt_rss(struct flow *fl)
{
    struct rss_ctx *c = fl->ctx;
    pid_t pid = proc_child_named(getpid(), "sspr-helper");
    struct proc_mem m;

    if (pid < 0 || proc_mem(pid, &m) != 0)
        die("cannot find the helper (a child named sspr-helper) at the code prompt");
    samples_add(&c->hwm, (double)m.hwm_kb);
    samples_add(&c->rss, (double)m.rss_kb);
    samples_add(&c->anon, (double)m.anon_kb);
    samples_add(&c->file, (double)m.file_kb);
    samples_add(&c->libs, (double)m.libs);
    if (!c->printed) {
        FILE *f;
        c->printed = true;
        printf(" the helper's shared objects at the code prompt, by resident size (smaps):\n");
        proc_print_libs(pid, stdout, 12);
        if (c->libs_file != NULL && (f = fopen(c->libs_file, "w")) != NULL) {
            proc_print_libs(pid, f, 1000);
            fclose(f);
        }
    }
}

/* prompt SVC USER ROUNDS
 * Per round: a bare exec of /bin/true, then one flow: "" at Password, "y"
 * at the offer, cancel at the code prompt. Times "y" -> first prompt and
 * cancel -> pam_authenticate returned; the helper's memory at the prompt. */
int cmd_prompt(int ac, char **av)
{
    struct samples t_true = { 0 }, t_first = { 0 }, t_cancel = { 0 };
    struct rss_ctx rc = { .libs_file = getenv("BENCH_LIBS_FILE") };
    int rounds;

    if (ac != 3)
        die("usage: prompt SVC USER ROUNDS");
    if ((rounds = atoi(av[2])) < 3)
        die("ROUNDS >= 3");
    for (int i = -2; i < rounds; i++) {
        struct flow fl = { .code_action = CODE_CANCEL,
                           .at_code_prompt = at_prompt_rss,
                           .ctx = &rc };
        double x = time_exec("/bin/true"), tret;

        (void)flow_run(av[0], av[1], &fl, &tret);
        if (fl.t_code == 0)
            die("no code prompt after the offer (last message: \"%s\")", fl.last_msg);
        if (i < 0) {
            if (i == -1) { /* the warm-up's memory samples go too */
                samples_free(&rc.hwm);
                samples_free(&rc.rss);
                samples_free(&rc.anon);
                samples_free(&rc.file);
                samples_free(&rc.libs);
            }
            continue;
        }
        samples_add(&t_true, x);
        samples_add(&t_first, fl.t_first - fl.t_yes);
        samples_add(&t_cancel, tret - fl.t_cancel);
    }
    printf(" %d rounds, interleaved:\n", rounds);
    samples_print("bare exec: fork+exec /bin/true+exit+reap", &t_true);
    samples_print("\"y\" -> first gate prompt (code prompt)", &t_first);
    samples_print("cancel at the code prompt -> PAM returns", &t_cancel);
    printf("  helper at the code prompt (median of %d): VmHWM %.2f MiB, VmRSS %.2f MiB "
           "(RssAnon %.2f, RssFile %.2f), %.0f shared objects mapped\n",
           rc.hwm.n, samples_q(&rc.hwm, .5) / 1024, samples_q(&rc.rss, .5) / 1024,
           samples_q(&rc.anon, .5) / 1024, samples_q(&rc.file, .5) / 1024, samples_q(&rc.libs, .5));
    {
        double b = samples_q(&t_true, .5), f = samples_q(&t_first, .5),
               c = samples_q(&t_cancel, .5), h = samples_q(&rc.hwm, .5) / 1024;

        double ratio = samples_ratio(&t_first, &t_true);

        verdict(ratio <= 2.5, "\"y\" -> first prompt vs bare exec",
                "ratio %.2f  (target <= 2.50)  %.2f ms vs %.2f ms", ratio, f / 1000, b / 1000);
        verdict(c <= 2000, "cancel -> pam_authenticate returns",
                "%.2f ms  (target <= 2 ms)  ratio %.2f vs bare exec", c / 1000,
                samples_ratio(&t_cancel, &t_true));
        verdict(h <= 4.0, "helper peak RSS to the code prompt",
                "%.2f MiB  (target <= 4 MiB)  %.0f shared objects", h, samples_q(&rc.libs, .5));
    }
    samples_free(&t_true);
    samples_free(&t_first);
    samples_free(&t_cancel);
    return 0;
}
