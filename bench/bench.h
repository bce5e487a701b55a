/* sspr-bench: what its files share (docs/benchmarks.md). */
#ifndef SSPR_BENCH_H
#define SSPR_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_appl.h>

/* ---- util.c: clock, samples, verdict lines, failures ---- */
double now_us(void);       /* CLOCK_MONOTONIC */
double now_realtime(void); /* CLOCK_REALTIME, seconds */
void sleep_us(double us);
_Noreturn void die(const char *fmt, ...);
int env_int(const char *name, int dflt);

struct samples {
    double *v;
    int n, cap;
};
void samples_add(struct samples *s, double x);
double samples_q(const struct samples *s, double q); /* 0..1, on a sorted copy */
/* "median 7.70 ms  p90 8.10  IQR 7.52-7.91  (n=60)", values in ms */
void samples_print(const char *label, const struct samples *s);
void samples_free(struct samples *s);
/* The median of a[i] / b[i]: rounds are interleaved, so each pair shares
 * the machine's state of the moment (other load, caches, frequency). */
double samples_ratio(const struct samples *a, const struct samples *b);

/* A target line, printed and appended to $BENCH_SUMMARY:
 *   PASS  first prompt vs bare exec     ratio 2.10  (target <= 2.50)  7.70 ms vs 1.52 ms */
void verdict(bool pass, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void note_summary(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- proc.c: other processes, read from /proc ---- */
struct proc_mem {
    long hwm_kb, rss_kb, anon_kb, file_kb; /* VmHWM, VmRSS, RssAnon, RssFile */
    int libs;                              /* distinct shared objects mapped */
    long uid, gid;                         /* real uid, gid */
};
/* The first child of `parent` whose comm is `name`, or -1. */
pid_t proc_child_named(pid_t parent, const char *name);
/* Every process named `name` in this PID namespace (at most max); count. */
int proc_all_named(const char *name, pid_t *out, int max);
int proc_mem(pid_t pid, struct proc_mem *m);
/* Print the shared objects mapped by pid with their resident size (smaps),
 * largest first, at most limit of them, and the total, to f. */
void proc_print_libs(pid_t pid, FILE *f, int limit);

/* ---- conv.c: a scripted PAM conversation with time stamps ---- */
enum code_action { CODE_CANCEL, CODE_ANSWER, CODE_ANSWER_THEN_CANCEL };

struct flow;
typedef void (*flow_hook)(struct flow *fl);

struct flow {
    /* the script */
    const char *password;    /* answer at "Password:" (NULL: "") */
    bool decline;            /* "n" at the offer (normal path) */
    const char *choice_word; /* menu line to choose (e.g. "email"); NULL: cancel at a menu */
    enum code_action code_action;
    const char *code;         /* for CODE_ANSWER* */
    const char *new_password; /* at "New password"/"Retype"; NULL: cancel there */
    flow_hook at_code_prompt; /* called after the stamp, before answering */
    flow_hook before_answer;  /* called just before the stamp of the code answer */
    flow_hook at_new_password;
    void *ctx;
    /* what happened (now_us() stamps; 0 = never) */
    double t_yes;      /* "y" handed back to PAM */
    double t_first;    /* first prompt after "y" */
    double t_code;     /* first code prompt */
    double t_answered; /* code answer handed back to PAM */
    double t_after;    /* the first frame after that answer */
    double t_newpw;    /* "New password" prompt */
    double t_done;     /* the "has been changed" message (RESULT reset-done) */
    double t_cancel;   /* PAM_CONV_ERR handed back */
    /* t_yes and t_code on CLOCK_REALTIME, in seconds (slapd's log's clock) */
    double rt_yes, rt_code;
    int code_prompts;
    bool bad_code_msg; /* "not valid" seen */
    char last_msg[512];
    char menu[1024]; /* the last INFO that looked like a menu */
};

/* pam_start(svc, user) + pam_authenticate + pam_end; the PAM result.
 * t_return: when pam_authenticate returned. */
int flow_run(const char *svc, const char *user, struct flow *fl, double *t_return);
/* pam_start(svc, user) + pam_chauthtok(0) + pam_end with newpw at every
 * echo-off prompt (what the helper's writeback does). msg (may be NULL):
 * the last error or info text the stack said, for a failure's message. */
int chauthtok_run(const char *svc, const char *user, const char *newpw, char *msg, size_t msg_len);

/* ---- totp.c: codes for enrolled users (liboath) ---- */
struct totp_user {
    char name[64];
    char secret[64]; /* base32 */
    long long last_step;
};
/* "NAME SECRET [LAST_STEP]" lines. Returns how many, dies on a bad file. */
int totp_load(const char *file, struct totp_user *u, int max);
/* Write the file back with the steps used, so that the next command run
 * never offers a code the helper has seen (its replay mark). */
void totp_save(const char *file, const struct totp_user *u, int n);
/* The code for `step`; 0 or -1. */
int totp_code(const struct totp_user *u, long long step, char out[16]);
/* A code that is wrong for every step in the window. */
void totp_wrong(const struct totp_user *u, char out[16]);
long long totp_step_now(void);
/* A user (of n, in turn from *rot) whose next code is for a step the helper
 * still accepts: never an earlier step than one already used (the replay
 * mark), and only the current or the next step (one boundary may pass
 * before the helper checks). Waits for the next step when every user is
 * spent. code: that code. */
struct totp_user *totp_next_user(struct totp_user *u, int n, int *rot, char code[16]);
/* A new password no earlier one equals (i: a distinct number per call) */
void bench_new_password(char *out, size_t len, int i);

/* ---- slapdlog.c: LDAP operations in slapd's `-d stats` log ---- */
enum {
    SLAPD_STARTTLS,
    SLAPD_BIND,
    SLAPD_SRCH,
    SLAPD_MOD,
    SLAPD_PASSMOD,
    SLAPD_WHOAMI,
    SLAPD_EXT,
    SLAPD_UNBIND,
    SLAPD_OTHER,
    SLAPD_NTYPES
};
extern const char *const slapd_op_names[SLAPD_NTYPES];
#define SLAPD_MAX_CONNS 64
struct slapd_span {
    int nconn, closed; /* connections seen, and logged as closed */
    long conns[SLAPD_MAX_CONNS];
    int ops; /* operations (conn=C op=O pairs with a request) */
    int by_type[SLAPD_NTYPES];
    int throttle_mods;      /* MODs of ssprThrottle */
    int throttle_conflicts; /* ... that lost the compare-and-swap (16, 19, 20) */
    int mod_errors;         /* MODs with a non-zero result (conflicts included) */
    double server_s;        /* slapd's qtime + etime, summed */
    double mod_ok_s;        /* ... of the MODs that succeeded (each commits a write) */
    /* the first connection's accept, TLS established, bind result and first
     * search result, in slapd's CLOCK_REALTIME seconds (0: not seen) */
    double t_accept, t_tls, t_bind, t_srch;
};
long slapdlog_size(const char *path);
/* The operations logged between byte offsets from and to. */
void slapdlog_count(const char *path, long from, long to, struct slapd_span *s);
/* The same for connection conn, whether or not it began in the span. */
void slapdlog_count_conn(const char *path, long from, long to, long conn, struct slapd_span *s);
/* Wait (at most timeout_ms) until every connection seen since from is
 * logged as closed; the log's size then. */
long slapdlog_settle(const char *path, long from, int timeout_ms);
void slapd_span_add(struct slapd_span *sum, const struct slapd_span *s);
/* "1 StartTLS, 1 BIND, 5 SRCH, ..." */
void slapd_span_format(const struct slapd_span *s, char *out, size_t len);

/* ---- commands ---- */
int cmd_normal(int ac, char **av);
int cmd_once(int ac, char **av);
int cmd_startup(int ac, char **av);
int cmd_prompt(int ac, char **av);
int cmd_reset(int ac, char **av);
int cmd_fsync_flow(int ac, char **av);
int cmd_parallel(int ac, char **av);
int cmd_mail(int ac, char **av);
int cmd_gcfill(int ac, char **av);
int cmd_gc(int ac, char **av);
int cmd_gcflows(int ac, char **av);
int cmd_disk(int ac, char **av);
int cmd_ldap(int ac, char **av);
/* the store's atomic record write in dfd (b_disk.c); microseconds */
double disk_atomic_write(int dfd);

/* fork + execve(path, argv, envp) + waitpid; returns the exit status or -1 */
int run_wait(const char *path, char *const argv[], char *const envp[]);
/* the same with stdout and stderr to /dev/null when quiet */
int run_wait_out(const char *path, char *const argv[], char *const envp[], bool quiet);

#endif
