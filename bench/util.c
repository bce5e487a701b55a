/* sspr-bench: the clock, sample sets and the PASS/MISS lines. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double now_realtime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_us(double us)
{
    struct timespec ts = { .tv_sec = (time_t)(us / 1e6),
                           .tv_nsec = (long)((us - (double)(time_t)(us / 1e6) * 1e6) * 1e3) };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void die(const char *fmt, ...)
{
    va_list ap;

    fputs("sspr-bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    char *end;
    long x;

    if (v == NULL || v[0] == '\0')
        return dflt;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < 0 || x > 10000000)
        die("%s=%s: not a number", name, v);
    return (int)x;
}

void samples_add(struct samples *s, double x)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        double *v = realloc(s->v, (size_t)cap * sizeof(*v));

        if (v == NULL)
            die("out of memory");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* linear interpolation between the closest ranks */
double samples_q(const struct samples *s, double q)
{
    double *c, pos, r;
    int i;

    if (s->n == 0)
        return 0;
    if ((c = malloc((size_t)s->n * sizeof(*c))) == NULL)
        die("out of memory");
    memcpy(c, s->v, (size_t)s->n * sizeof(*c));
    qsort(c, (size_t)s->n, sizeof(*c), cmp_double);
    pos = q * (s->n - 1);
    i = (int)pos;
    r = i + 1 < s->n ? c[i] + (pos - i) * (c[i + 1] - c[i]) : c[i];
    free(c);
    return r;
}

void samples_print(const char *label, const struct samples *s)
{
    printf("  %-44s median %8.3f ms  p90 %8.3f  IQR %.3f-%.3f  (n=%d)\n", label,
           samples_q(s, 0.5) / 1000, samples_q(s, 0.9) / 1000, samples_q(s, 0.25) / 1000,
           samples_q(s, 0.75) / 1000, s->n);
}

double samples_ratio(const struct samples *a, const struct samples *b)
{
    struct samples r = { 0 };
    double m;

    if (a->n != b->n || a->n == 0)
        die("paired samples of different sizes");
    for (int i = 0; i < a->n; i++)
        samples_add(&r, a->v[i] / b->v[i]);
    m = samples_q(&r, 0.5);
    samples_free(&r);
    return m;
}

void samples_free(struct samples *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static void summary_line(const char *line)
{
    const char *path = getenv("BENCH_SUMMARY");
    FILE *f;

    if (path == NULL || path[0] == '\0' || (f = fopen(path, "a")) == NULL)
        return;
    fprintf(f, "%s\n", line);
    fclose(f);
}

void verdict(bool pass, const char *what, const char *fmt, ...)
{
    char detail[400], line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%-4s  %-40s %s", pass ? "PASS" : "MISS", what, detail);
    printf("%s\n", line);
    summary_line(line);
}

void note_summary(const char *fmt, ...)
{
    char detail[400], line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "info  %s", detail);
    printf("%s\n", line);
    summary_line(line);
}

int run_wait(const char *path, char *const argv[], char *const envp[])
{
    return run_wait_out(path, argv, envp, false);
}

int run_wait_out(const char *path, char *const argv[], char *const envp[], bool quiet)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (quiet) {
            int null = open("/dev/null", O_WRONLY);
            if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                _exit(127);
        }
        execve(path, argv, envp);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
