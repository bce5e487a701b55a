/* sspr-bench: what its files share (docs/benchmarks.md). */
#ifndef SSPR_BENCH_H
#define SSPR_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_appl.h>

/* ---- util.c: clock, samples, verdict lines, failures ---- */
double now_us(void); /* CLOCK_MONOTONIC */
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
    int code_prompts;
    bool bad_code_msg; /* "not valid" seen */
    char last_msg[512];
    char menu[1024]; /* the last INFO that looked like a menu */
};

/* pam_start(svc, user) + pam_authenticate + pam_end; the PAM result.
 * t_return: when pam_authenticate returned. */
int flow_run(const char *svc, const char *user, struct flow *fl, double *t_return);
/* pam_start(svc, user) + pam_chauthtok(0) + pam_end with newpw at every
 * echo-off prompt (what the helper's writeback does). */
int chauthtok_run(const char *svc, const char *user, const char *newpw);

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
/* the store's atomic record write in dfd (b_disk.c); microseconds */
double disk_atomic_write(int dfd);

/* fork + execve(path, argv, envp) + waitpid; returns the exit status or -1 */
int run_wait(const char *path, char *const argv[], char *const envp[]);
/* the same with stdout and stderr to /dev/null when quiet */
int run_wait_out(const char *path, char *const argv[], char *const envp[], bool quiet);

#endif
