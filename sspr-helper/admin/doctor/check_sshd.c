/*
 * Doctor: the sshd that actually runs must use PAM with keyboard-interactive
 * (the reset's prompts), and give a sign-in enough time (LoginGraceTime)
 * for a reset.
 *
 * Which configuration: every running sshd listener (an sshd process whose
 * parent is not an sshd, so not the per-connection children), with the
 * -f file and -o options of its command line; with none running,
 * /etc/ssh/sshd_config, which is what a start would read. A listener's
 * command line is read from /proc/PID/cmdline; sshd rewrites it
 * ("sshd: /usr/sbin/sshd -f FILE [listener] ..."), and that form is split
 * at spaces (a path with spaces in it is misread).
 *
 * How: `sshd -T -f FILE [-o ...]`, sshd's own reading of it (defaults,
 * Include, aliases, the options of its version), is what counts; it needs
 * root and readable host keys. When it cannot run or fails, our own reader
 * of the files stands in (first value wins, Include followed, Match blocks
 * not evaluated: neither does -T without -C). The reader also says in which
 * file and line a wrong value was set.
 */
#include "autoconf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "support/errors.h"
#include "support/text.h"

#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_DIR "/etc/ssh"
#define SSHD_BINARY "/usr/sbin/sshd"
#define SSHD_T_TIMEOUT_MS 5000
#define SSHD_T_MAX_OUTPUT (256 * 1024)
#define GRACE_DEFAULT 120 /* OpenSSH's LoginGraceTime */
#define MAX_LISTENERS 8
#define MAX_PIDS 8
#define MAX_OPTS 16

/* One configuration a running (or would-be) sshd reads. */
struct sshd_inst {
    pid_t pids[MAX_PIDS];
    int npids;
    char conf[PATH_MAX];      /* -f, or SSHD_CONFIG */
    int conf_given;           /* -f was on its command line */
    char opts[MAX_OPTS][256]; /* -o options, in order */
    int nopts;
};

/* What the configuration says: values, and where each was set. */
struct sshd_opts {
    char usepam[32], usepam_where[PATH_MAX + 32];
    char kbdint[32], kbdint_where[PATH_MAX + 32];
    char grace[32], grace_where[PATH_MAX + 32];
    int depth;
};

/* ---- the running listeners ------------------------------------------------------ */

/* 1 when pid runs sshd: its executable, or (unreadable, not root) its
 * command line. */
static int is_sshd(pid_t pid)
{
    char path[64], exe[PATH_MAX], cmd[256];
    const char *base;
    ssize_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
    n = readlink(path, exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        if ((base = strrchr(exe, '/')) != NULL)
            base++;
        else
            base = exe;
        return strcmp(base, "sshd") == 0 || strcmp(base, "sshd (deleted)") == 0;
    }
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    n = (ssize_t)fread(cmd, 1, sizeof(cmd) - 1, f);
    fclose(f);
    if (n <= 0)
        return 0;
    cmd[n] = '\0';
    if (strncmp(cmd, "sshd:", 5) == 0)
        return 1;
    base = strrchr(cmd, '/');
    return strcmp(base != NULL ? base + 1 : cmd, "sshd") == 0;
}

static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    long ppid = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold anything, even ") " */
    if ((close_paren = strrchr(buf, ')')) == NULL ||
        sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* The arguments of pid: argv as the kernel keeps it, or sshd's rewritten
 * title split at spaces (up to " [listener]"). Returns argc. */
static int command_line(pid_t pid, char *buf, size_t cap, char **argv, int max)
{
    char path[64];
    size_t n, items = 0;
    int argc = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            items++;
    if (items > 0) { /* real argv: NUL-separated */
        for (size_t i = 0; i < n && argc < max; i += strlen(buf + i) + 1)
            argv[argc++] = buf + i;
        return argc;
    }
    char *p = buf, *save = NULL, *tok;
    if (strncmp(p, "sshd:", 5) == 0)
        p += 5;
    for (tok = strtok_r(p, " ", &save); tok != NULL && argc < max;
         tok = strtok_r(NULL, " ", &save)) {
        if (strncmp(tok, "[listener]", 10) == 0)
            break;
        argv[argc++] = tok;
    }
    return argc;
}

/* -f and -o from sshd's arguments (its getopt letters that take a value). */
static void listener_options(char **argv, int argc, struct sshd_inst *in)
{
    static const char with_arg[] = "CEbcfghkopu";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (a[0] != '-' || a[1] == '\0')
            continue;
        for (size_t j = 1; a[j] != '\0'; j++) {
            const char *val;

            if (strchr(with_arg, a[j]) == NULL)
                continue;
            val = a[j + 1] != '\0' ? a + j + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (val != NULL && a[j] == 'f') {
                snprintf(in->conf, sizeof(in->conf), "%s", val);
                in->conf_given = 1;
            } else if (val != NULL && a[j] == 'o' && in->nopts < MAX_OPTS) {
                snprintf(in->opts[in->nopts++], sizeof(in->opts[0]), "%s", val);
            }
            break;
        }
    }
}

static int same_inst(const struct sshd_inst *a, const struct sshd_inst *b)
{
    if (strcmp(a->conf, b->conf) != 0 || a->nopts != b->nopts)
        return 0;
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i], b->opts[i]) != 0)
            return 0;
    return 1;
}

/* The running listeners, one entry per distinct configuration. */
static int find_listeners(struct sshd_inst *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char buf[8192], *argv[64];
        struct sshd_inst in;
        pid_t pid, ppid;
        int argc, k;

        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid = (pid_t)strtol(de->d_name, NULL, 10);
        if (pid <= 0 || !is_sshd(pid))
            continue;
        ppid = parent_of(pid);
        if (ppid > 0 && is_sshd(ppid))
            continue; /* a connection's process */
        memset(&in, 0, sizeof(in));
        snprintf(in.conf, sizeof(in.conf), "%s", SSHD_CONFIG);
        argc = command_line(pid, buf, sizeof(buf), argv, 64);
        listener_options(argv, argc, &in);
        for (k = 0; k < n && !same_inst(&out[k], &in); k++)
            ;
        if (k == n) {
            if (n == max)
                continue;
            out[n++] = in;
        }
        if (out[k].npids < MAX_PIDS)
            out[k].pids[out[k].npids++] = pid;
    }
    closedir(d);
    return n;
}

/* ---- our own reader of sshd_config ----------------------------------------------- */

static void sshd_parse_file(const char *path, struct sshd_opts *o);

static void sshd_include(const char *pattern, struct sshd_opts *o)
{
    char full[PATH_MAX];
    glob_t g;

    /* sshd takes a relative Include from /etc/ssh, wherever the file is */
    if (pattern[0] == '/')
        snprintf(full, sizeof(full), "%s", pattern);
    else
        snprintf(full, sizeof(full), "%s/%s", SSHD_DIR, pattern);
    if (glob(full, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        sshd_parse_file(g.gl_pathv[i], o);
    globfree(&g);
}

static void set_first(char *val, size_t vlen, char *where, size_t wlen, const char *v,
                      const char *at)
{
    if (val[0] != '\0')
        return; /* the first value wins (sshd_config(5)) */
    snprintf(val, vlen, "%s", v);
    snprintf(where, wlen, "%s", at);
}

/* One "Key value" (or "Key=value") line; 1 at a Match line. */
static int sshd_line(char *p, const char *at, struct sshd_opts *o)
{
    char *key, *val, *save = NULL;

    key = strtok_r(p, " \t=", &save);
    val = strtok_r(NULL, " \t=", &save);
    if (key == NULL || val == NULL)
        return 0;
    if (strcasecmp(key, "Match") == 0)
        return 1;
    if (strcasecmp(key, "Include") == 0) {
        do
            sshd_include(val, o);
        while ((val = strtok_r(NULL, " \t", &save)) != NULL);
    } else if (strcasecmp(key, "UsePAM") == 0) {
        set_first(o->usepam, sizeof(o->usepam), o->usepam_where, sizeof(o->usepam_where), val, at);
    } else if (strcasecmp(key, "KbdInteractiveAuthentication") == 0 ||
               strcasecmp(key, "ChallengeResponseAuthentication") == 0) {
        set_first(o->kbdint, sizeof(o->kbdint), o->kbdint_where, sizeof(o->kbdint_where), val, at);
    } else if (strcasecmp(key, "LoginGraceTime") == 0) {
        set_first(o->grace, sizeof(o->grace), o->grace_where, sizeof(o->grace_where), val, at);
    }
    return 0;
}

/* Match blocks are not evaluated: the global settings are what a
 * connection gets unless a Match overrides. */
static void sshd_parse_file(const char *path, struct sshd_opts *o)
{
    char line[2048], at[PATH_MAX + 32];
    int lineno = 0;
    FILE *f;

    if (o->depth > 8)
        return;
    f = fopen(path, "re");
    if (f == NULL)
        return;
    o->depth++;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = sspr_trim(line);

        lineno++;
        if (*p == '#' || *p == '\0')
            continue;
        snprintf(at, sizeof(at), "%s line %d", path, lineno);
        if (sshd_line(p, at, o))
            break;
    }
    o->depth--;
    fclose(f);
}

/* Command-line -o options come first: they win over the file. */
static void sshd_read(const struct sshd_inst *in, struct sshd_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < in->nopts; i++) {
        char opt[sizeof(in->opts[0])];

        snprintf(opt, sizeof(opt), "%s", in->opts[i]);
        (void)sshd_line(opt, "its command line (-o)", o);
    }
    sshd_parse_file(in->conf, o);
}

/* sshd's time format ("120", "2m", "1h30m"): seconds, or -1. */
static long sshd_seconds(const char *s)
{
    long total = 0;

    if (*s == '\0')
        return -1;
    while (*s != '\0') {
        long n = 0, mult = 1;

        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s)) {
            if (n > 100000000)
                return -1;
            n = n * 10 + (*s++ - '0');
        }
        switch (*s) {
        case '\0':
            break;
        case 's':
        case 'S':
            s++;
            break;
        case 'm':
        case 'M':
            mult = 60;
            s++;
            break;
        case 'h':
        case 'H':
            mult = 3600;
            s++;
            break;
        case 'd':
        case 'D':
            mult = 86400;
            s++;
            break;
        case 'w':
        case 'W':
            mult = 604800;
            s++;
            break;
        default:
            return -1;
        }
        total += n * mult;
        if (total > INT_MAX)
            return -1;
    }
    return total;
}

/* ---- sshd -T ---------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: default signals, no stdin, out on stdout and stderr,
 * nothing else inherited, a fixed environment. */
_Noreturn static void t_child(int out, const char *bin, char **argv)
{
    static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", lang_env[] = "LANG=C";
    char *envp[] = { path_env, lang_env, NULL };
    struct sigaction sa;
    sigset_t none;
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        (void)sigaction(s, &sa, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(out, STDERR_FILENO) < 0)
        _exit(127);
    for (int i = 3; i < 1024; i++)
        (void)close(i);
    if (chdir("/") != 0)
        _exit(127);
    execve(bin, argv, envp);
    _exit(127);
}

/* Run `sshd -T -f conf [-o ...]`; 0 with its output in buf, or -1 with
 * why (its first line, or what kept it from running). */
static int sshd_t(const struct sshd_inst *in, char *buf, size_t cap, char *why, size_t wlen)
{
    static char bin[] = SSHD_BINARY, dash_t[] = "-T", dash_f[] = "-f", dash_o[] = "-o";
    char *argv[4 + 2 * MAX_OPTS + 1], bad[PATH_MAX], conf[PATH_MAX], opts[MAX_OPTS][256];
    const char *unsafe;
    struct stat sb;
    int fds[2], status = 0, argc = 0;
    size_t used = 0;
    int64_t deadline;
    pid_t pid, w;

    if (stat(SSHD_BINARY, &sb) != 0) {
        snprintf(why, wlen, "%s: %s", SSHD_BINARY, strerror(errno));
        return -1;
    }
    if ((unsafe = sspr_doctor_unsafe_stat(&sb)) != NULL ||
        sspr_doctor_parents_safe(SSHD_BINARY, bad, sizeof(bad), &unsafe) != 0) {
        snprintf(why, wlen, "%s not run: %s", SSHD_BINARY, unsafe);
        return -1;
    }
    snprintf(conf, sizeof(conf), "%s", in->conf);
    argv[argc++] = bin;
    argv[argc++] = dash_t;
    argv[argc++] = dash_f;
    argv[argc++] = conf;
    for (int i = 0; i < in->nopts; i++) {
        snprintf(opts[i], sizeof(opts[i]), "%s", in->opts[i]);
        argv[argc++] = dash_o;
        argv[argc++] = opts[i];
    }
    argv[argc] = NULL;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(why, wlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        snprintf(why, wlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0)
        t_child(fds[1], SSHD_BINARY, argv);
    close(fds[1]);
    deadline = now_ms() + SSHD_T_TIMEOUT_MS;
    for (;;) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        int64_t left = deadline - now_ms();
        ssize_t n;
        char sink[4096];

        if (left <= 0)
            break;
        if (poll(&p, 1, (int)left) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (used + 1 < cap)
            n = read(fds[0], buf + used, cap - 1 - used);
        else
            n = read(fds[0], sink, sizeof(sink)); /* more than we keep: drain */
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (used + 1 < cap)
            used += (size_t)n;
    }
    close(fds[0]);
    buf[used] = '\0';
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline) {
        struct timespec ms = { 0, 2000000 };
        nanosleep(&ms, NULL);
    }
    if (w == 0) {
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        snprintf(why, wlen, "sshd -T did not finish within %d s", SSHD_T_TIMEOUT_MS / 1000);
        return -1;
    }
    if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        size_t l = strcspn(buf, "\r\n"); /* sshd ends its messages with \r\n */

        buf[l] = '\0';
        snprintf(why, wlen, "sshd -T failed: %s",
                 buf[0] != '\0'                                              ? buf
                 : w >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "could not be run"
                                                                             : "no reason given");
        return -1;
    }
    return 0;
}

/* The value of key (lowercase, as -T prints) in sshd -T's output. */
static int t_value(const char *out, const char *key, char *val, size_t len)
{
    size_t k = strlen(key);

    for (const char *p = out; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
        if (strncmp(p, key, k) == 0 && p[k] == ' ') {
            size_t n = strcspn(p + k + 1, "\r\n");

            snprintf(val, len, "%.*s", (int)n, p + k + 1);
            return 0;
        }
    }
    return -1;
}

/* ---- the checks -------------------------------------------------------------------- */

static void label(const struct sshd_inst *in, char *buf, size_t len)
{
    size_t o;

    if (in->npids == 0) {
        snprintf(buf, len, "sshd (not running; %s)", in->conf);
        return;
    }
    o = (size_t)snprintf(buf, len, "sshd (pid");
    for (int i = 0; i < in->npids && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, " %ld", (long)in->pids[i]);
    if (o < len)
        snprintf(buf + o, len - o, ", %s%s)", in->conf_given ? "-f " : "", in->conf);
}

/* A fix for E108 that names the file this sshd reads and how to make it
 * read it again. */
static void kbdint_fix(const struct sshd_inst *in, char *fix, size_t len)
{
    if (!in->conf_given && in->nopts == 0) {
        fix[0] = '\0'; /* the table's: /etc/ssh/sshd_config, systemctl reload ssh */
        return;
    }
    snprintf(fix, len,
             "set `UsePAM yes` and `KbdInteractiveAuthentication yes` in %s (and in no -o "
             "option or earlier Include that says otherwise), check with `sshd -T -f %s`, then "
             "make this sshd read it again (`kill -HUP %ld`)",
             in->conf, in->conf, in->npids > 0 ? (long)in->pids[0] : 0L);
}

static void check_grace(struct sspr_report *r, const struct sspr_config *cfg,
                        const struct sshd_inst *in, const char *who, const char *value,
                        const char *where)
{
    char how[256];
    long grace = value[0] != '\0' ? sshd_seconds(value) : GRACE_DEFAULT;
    int needed = sspr_doctor_reset_seconds(cfg, how, sizeof(how));

    if (grace < 0) {
        sspr_warn(r, "%s: LoginGraceTime %s (%s) is not a time sshd understands", who, value,
                  where[0] != '\0' ? where : "?");
        return;
    }
    if (grace == 0) {
        sspr_pass(r, "%s: LoginGraceTime 0: sign-ins have no time limit", who);
    } else if (grace < needed) {
        char advice[PATH_MAX + 96];
        int want = sspr_doctor_timeout_advice(needed);

        /* where it was set: a -o option beats the file, the first line wins */
        if (strncmp(where, "its command line", 16) == 0)
            snprintf(advice, sizeof(advice),
                     "start it with -o LoginGraceTime=%d (the option wins over the file)", want);
        else
            snprintf(advice, sizeof(advice), "set LoginGraceTime %d in %s", want,
                     where[0] != '\0' ? where : in->conf);
        sspr_warn(r,
                  "%s: LoginGraceTime %ld s (%s) ends an SSH sign-in in the middle of a reset "
                  "that can take about %d s here (%s): %s",
                  who, grace, where[0] != '\0' ? where : "sshd's default", needed, how, advice);
    } else {
        sspr_pass(r, "%s: LoginGraceTime %ld s leaves time for a reset (about %d s here)", who,
                  grace, needed);
    }
}

static void check_inst(struct sspr_report *r, const struct sspr_config *cfg,
                       const struct sshd_inst *in)
{
    struct sshd_opts o;
    char who[PATH_MAX + 128], why[256], fix[PATH_MAX * 2 + 256], *out;
    char usepam[32], kbdint[32], grace[32], source[300];
    int t_ok;

    label(in, who, sizeof(who));
    sshd_read(in, &o);
    snprintf(usepam, sizeof(usepam), "%s", o.usepam);
    snprintf(kbdint, sizeof(kbdint), "%s", o.kbdint);
    snprintf(grace, sizeof(grace), "%s", o.grace);
    out = malloc(SSHD_T_MAX_OUTPUT);
    t_ok = out != NULL && sshd_t(in, out, SSHD_T_MAX_OUTPUT, why, sizeof(why)) == 0;
    if (out == NULL)
        snprintf(why, sizeof(why), "out of memory");
    if (t_ok) {
        char v[32];

        /* sshd's own word; our reader's line only where it agrees */
        if (t_value(out, "usepam", v, sizeof(v)) == 0) {
            if (strcasecmp(v, usepam) != 0)
                o.usepam_where[0] = '\0';
            snprintf(usepam, sizeof(usepam), "%s", v);
        }
        if (t_value(out, "kbdinteractiveauthentication", v, sizeof(v)) == 0) {
            if (strcasecmp(v, kbdint) != 0)
                o.kbdint_where[0] = '\0';
            snprintf(kbdint, sizeof(kbdint), "%s", v);
        }
        if (t_value(out, "logingracetime", v, sizeof(v)) == 0) {
            if (sshd_seconds(o.grace) != sshd_seconds(v))
                o.grace_where[0] = '\0';
            snprintf(grace, sizeof(grace), "%s", v);
        }
    } else {
        /* OpenSSH's defaults where the files say nothing */
        if (usepam[0] == '\0')
            snprintf(usepam, sizeof(usepam), "no");
        if (kbdint[0] == '\0')
            snprintf(kbdint, sizeof(kbdint), "yes");
    }
    free(out);
    if (t_ok)
        snprintf(source, sizeof(source), "read with sshd -T");
    else
        snprintf(source, sizeof(source), "read from the files, %s", why);
    kbdint_fix(in, fix, sizeof(fix));
    if (strcasecmp(usepam, "yes") != 0) {
        sspr_fail_fix(r, SSPR_E_SSHD_KBDINT, fix[0] ? fix : NULL, "%s: UsePAM %s (%s; %s)", who,
                      usepam, o.usepam_where[0] ? o.usepam_where : "the default", source);
    } else if (strcasecmp(kbdint, "yes") != 0) {
        sspr_fail_fix(r, SSPR_E_SSHD_KBDINT, fix[0] ? fix : NULL,
                      "%s: KbdInteractiveAuthentication %s (%s; %s)", who, kbdint,
                      o.kbdint_where[0] ? o.kbdint_where : "the default", source);
    } else {
        sspr_pass(r, "%s: UsePAM yes, KbdInteractiveAuthentication yes (%s)", who, source);
    }
    check_grace(r, cfg, in, who, grace, o.grace_where);
}

void sspr_doctor_check_sshd(struct sspr_report *r, const struct sspr_config *cfg)
{
    struct sshd_inst *in = calloc(MAX_LISTENERS, sizeof(*in));
    struct stat sb;
    int n;

    if (in == NULL)
        return;
    n = find_listeners(in, MAX_LISTENERS);
    if (n == 0 && stat(SSHD_CONFIG, &sb) != 0 && stat(SSHD_BINARY, &sb) != 0) {
        sspr_pass(r, "sshd: not installed, nothing to check");
    } else if (sspr_doctor_stack_has_sspr("sshd", "auth", NULL, 0) != 1) {
        sspr_pass(r, "sshd: pam_sspr.so not in its PAM stack, keyboard-interactive not needed");
    } else {
        if (n == 0) { /* what a start would read */
            n = 1;
            snprintf(in[0].conf, sizeof(in[0].conf), "%s", SSHD_CONFIG);
        }
        for (int i = 0; i < n; i++)
            check_inst(r, cfg, &in[i]);
    }
    free(in);
}
