/* sspr-bench gc / gcflows: the cost of sweeping stale throttle records of
 * unknown names, and whether any flow waits for a sweep. */
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

#include "bench.h"

/* names.c keeps unknown names 256 to a record, by the first two hex
 * digits of the name's hash: "throttle-names-XX.lines", one line per name,
 * "<32 hex> <record JSON>" (names_lines.c). */
#define BUCKET_FMT "throttle-names-%.2s.lines"
#define BUCKET_BYTES (256 * 1024) /* names.c's cap: the store's record size */
#define LINE_BYTES 120              /* one stale line, about */

struct stale {
    char (*hex)[33]; /* the names' hashes */
    int n;
};

static void rand_hex(char *out, size_t nhex, FILE *ur)
{
    static const char hx[] = "0123456789abcdef";
    unsigned char b[64];

    if (fread(b, 1, nhex / 2, ur) != nhex / 2)
        die("reading /dev/urandom");
    for (size_t i = 0; i < nhex / 2; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[nhex] = '\0';
}

static int hex_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void stale_make(struct stale *s, int n)
{
    FILE *ur = fopen("/dev/urandom", "r");

    if (ur == NULL || (s->hex = calloc((size_t)n, sizeof(*s->hex))) == NULL)
        die("setting up %d records", n);
    /* more than names.c keeps: its first update would trim the bucket */
    if (n > 256 * (BUCKET_BYTES / LINE_BYTES) / 2)
        die("%d records: at most %d fit the buckets", n, 256 * (BUCKET_BYTES / LINE_BYTES) / 2);
    for (int i = 0; i < n; i++)
        rand_hex(s->hex[i], 32, ur);
    s->n = n;
    qsort(s->hex, (size_t)n, sizeof(*s->hex), hex_cmp);
    fclose(ur);
}

static void bucket_name(char *out, size_t len, unsigned b)
{
    char xx[16];

    snprintf(xx, sizeof(xx), "%02x", b & 0xffu);
    snprintf(out, len, BUCKET_FMT, xx);
}

/* The bucket's text ("" when there is none), malloc'd. */
static char *bucket_text(int dirfd, unsigned b)
{
    char name[64], *buf;
    struct stat sb;
    int fd;

    bucket_name(name, sizeof(name), b);
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            die("opening %s: %s", name, strerror(errno));
        return strdup("");
    }
    if (fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL)
        die("reading %s", name);
    if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
        die("reading %s", name);
    buf[sb.st_size] = '\0';
    close(fd);
    return buf;
}

static unsigned bucket_of(const char *hex)
{
    unsigned b = 0;

    sscanf(hex, "%2x", &b);
    return b;
}

/* Put the missing ones into their buckets, in the shape names_lines.c
 * writes (the record as throttle_json.c encodes it, JSON_COMPACT |
 * JSON_SORT_KEYS): one failure with the code gate two days ago, window and
 * lockout long over. Lines flows added meanwhile stay. No fsync: this is
 * setup. */
static int stale_fill(int dirfd, const struct stale *s)
{
    long long t = (long long)time(NULL) - 2 * 86400;
    int made = 0;

    for (unsigned b = 0; b < 256; b++) {
        char *old = bucket_text(dirfd, b), name[64], tmp[80];
        size_t len = strlen(old), cap = len + 1;
        char *out;
        int fd;

        for (int i = 0; i < s->n; i++)
            if (bucket_of(s->hex[i]) == b)
                cap += 160;
        if ((out = malloc(cap)) == NULL)
            die("out of memory");
        memcpy(out, old, len);
        for (int i = 0; i < s->n; i++) {
            if (bucket_of(s->hex[i]) != b || strstr(old, s->hex[i]) != NULL)
                continue;
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s {\"consecutive\":1,\"failures\":1,\"locked_until\":0,"
                                    "\"methods\":{\"totp\":1},\"since\":%lld}\n",
                                    s->hex[i], t);
            made++;
        }
        if (len > strlen(old)) {
            bucket_name(name, sizeof(name), b);
            snprintf(tmp, sizeof(tmp), "%s.bench", name);
            fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0 || write(fd, out, len) != (ssize_t)len || close(fd) != 0 ||
                renameat(dirfd, tmp, dirfd, name) != 0)
                die("writing %s: %s", name, strerror(errno));
        }
        free(out);
        free(old);
    }
    syncfs(dirfd);
    return made;
}

/* How many of s's names have a line: each line's name looked up in the
 * sorted names (the count runs after every flow of gcflows, so it must
 * not cost more than the flow). */
static int stale_count(int dirfd, const struct stale *s)
{
    int have = 0;

    for (unsigned b = 0; b < 256; b++) {
        char *text = bucket_text(dirfd, b), *p = text;

        while (*p != '\0') {
            char *nl = strchr(p, '\n');
            size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

            if (n > 32 && bsearch(p, s->hex, (size_t)s->n, sizeof(*s->hex), hex_cmp))
                have++;
            p += n + (nl != NULL);
        }
        free(text);
    }
    return have;
}

/* Every bucket goes (with whatever flows put there meanwhile). */
static void stale_remove(int dirfd, const struct stale *s)
{
    (void)s;
    for (unsigned b = 0; b < 256; b++) {
        char name[64];

        bucket_name(name, sizeof(name), b);
        (void)unlinkat(dirfd, name, 0);
    }
    syncfs(dirfd);
}

static int open_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        die("%s: %s", dir, strerror(errno));
    return fd;
}

/* gc HELPER STATEDIR N ROUNDS: N stale records, then `sspr-helper gc` */
int cmd_gc(int ac, char **av)
{
    static char a0[] = "sspr-helper", a1[] = "gc", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char *argv[] = { a0, a1, NULL };
    char *envp[] = { e0, NULL };
    struct samples t = { 0 };
    struct stale s;
    int dfd, n, rounds, left_total = 0;

    if (ac != 4)
        die("usage: gc HELPER STATEDIR N ROUNDS");
    dfd = open_dir(av[1]);
    n = atoi(av[2]);
    rounds = atoi(av[3]);
    if (n < 1 || rounds < 1)
        die("N, ROUNDS >= 1");
    for (int r = 0; r < rounds; r++) {
        double t0;
        int left;

        /* a sweep that takes minutes is measured once (BENCH_GC_BUDGET_S) */
        if (r > 0 && samples_q(&t, 1) * (r + 1) > 1e6 * env_int("BENCH_GC_BUDGET_S", 60)) {
            printf("  (%d of %d rounds: one sweep takes %.1f s)\n", r, rounds,
                   samples_q(&t, 1) / 1e6);
            break;
        }
        stale_make(&s, n);
        stale_fill(dfd, &s);
        t0 = now_us();
        if (run_wait_out(av[0], argv, envp, true) != 0)
            die("sspr-helper gc failed");
        samples_add(&t, now_us() - t0);
        left = stale_count(dfd, &s);
        left_total += left;
        stale_remove(dfd, &s);
        free(s.hex);
    }
    printf(" %d stale records of unknown names, then `sspr-helper gc`:\n", n);
    samples_print("sspr-helper gc (exec to exit)", &t);
    printf("  %-44s %.1f us per record; %d left behind in all\n", "", samples_q(&t, .5) / n,
           left_total);
    if (n == 10000)
        verdict(samples_q(&t, .5) <= 300000 && left_total == 0, "gc of 10 000 stale records",
                "%.3f s  (target <= 0.3 s)%s", samples_q(&t, .5) / 1e6,
                left_total ? "  records left behind: the run stopped early" : "");
    else
        note_summary("gc of %d stale records: %.3f s", n, samples_q(&t, .5) / 1e6);
    samples_free(&t);
    close(dfd);
    return 0;
}

/* One flow of a name no account has: "" at Password, "y", a wrong code,
 * cancel at the next prompt. pam_start .. pam_authenticate returned. */
static double ghost_flow(const char *svc, FILE *ur)
{
    char name[32], hex[9];
    struct flow fl = { .code_action = CODE_ANSWER_THEN_CANCEL, .code = "123456" };
    double t0, t1;

    rand_hex(hex, 8, ur);
    snprintf(name, sizeof(name), "ghost%s", hex);
    t0 = now_us();
    (void)flow_run(svc, name, &fl, &t1);
    if (!fl.bad_code_msg)
        die("an unknown name's wrong code got no \"not valid\" (last message \"%s\")", fl.last_msg);
    return t1 - t0;
}

static void print_tail(const struct samples *s)
{
    printf("  %-44s p99 %.3f ms  max %.3f\n", "", samples_q(s, .99) / 1000, samples_q(s, 1) / 1000);
}

/* gcflows SVC STATEDIR N FLOWS: unknown-name flows without, then with N
 * stale records (put back after any flow that removed some). */
int cmd_gcflows(int ac, char **av)
{
    struct samples without = { 0 }, with = { 0 };
    struct stale s;
    FILE *ur = fopen("/dev/urandom", "r");
    int dfd, n, flows, swept = 0, removed = 0;
    double worst_swept = 0;
    char detail[2048] = "";

    if (ac != 4 || ur == NULL)
        die("usage: gcflows SVC STATEDIR N FLOWS");
    dfd = open_dir(av[1]);
    n = atoi(av[2]);
    flows = atoi(av[3]);
    if (n < 1 || flows < 10)
        die("N >= 1, FLOWS >= 10");
    for (int i = 0; i < 3; i++)
        (void)ghost_flow(av[0], ur); /* warm-up */
    for (int i = 0; i < flows; i++)
        samples_add(&without, ghost_flow(av[0], ur));
    stale_make(&s, n);
    stale_fill(dfd, &s);
    for (int i = 0; i < flows; i++) {
        double x = ghost_flow(av[0], ur);

        samples_add(&with, x);
        /* untimed: did a sweep take any? then back to N */
        int gone = n - stale_count(dfd, &s);
        if (gone > 0) {
            swept++;
            removed += gone;
            if (x > worst_swept)
                worst_swept = x;
            size_t dl = strlen(detail);
            if (dl < sizeof(detail) - 40)
                snprintf(detail + dl, sizeof(detail) - dl, "%s#%d %.0f ms/%d", dl ? ", " : "", i,
                         x / 1000, gone);
            stale_fill(dfd, &s);
        }
    }
    stale_remove(dfd, &s);
    free(s.hex);
    printf(" flows of unknown names (pam_start .. pam_authenticate returns), %d each:\n", flows);
    samples_print("without stale records", &without);
    print_tail(&without);
    {
        char label[96];
        snprintf(label, sizeof(label), "with %d stale records", n);
        samples_print(label, &with);
        print_tail(&with);
    }
    printf("  flows during which a sweep removed stale records: %d (%d records in all; "
           "slowest of them %.1f ms)\n",
           swept, removed, worst_swept / 1000);
    if (swept > 0)
        printf("  (flow number, its time and the records it removed: %s)\n", detail);
    {
        double p0 = samples_q(&without, .99), p1 = samples_q(&with, .99);
        /* A sweep may run while flows do (a detached process, a timer):
         * what must not happen is a flow that waits for one. */
        double wmax = samples_q(&without, 1);
        bool waited = swept > 0 && worst_swept > 2 * wmax;

        verdict(!waited && p1 / p0 <= 1.5, "no flow waits on gc",
                "p99 with/without %.2f  (target <= 1.50, no swept flow > 2 x the slowest "
                "without)  %d of %d flows saw a sweep, slowest %.1f ms; max without %.1f ms",
                p1 / p0, swept, flows, worst_swept / 1000, wmax / 1000);
    }
    samples_free(&without);
    samples_free(&with);
    fclose(ur);
    close(dfd);
    return 0;
}

int cmd_gcfill(int ac, char **av)
{
    struct stale s;
    int dfd;

    if (ac != 2)
        die("usage: gcfill STATEDIR N");
    dfd = open_dir(av[0]);
    stale_make(&s, atoi(av[1]));
    printf("%d records written\n", stale_fill(dfd, &s));
    free(s.hex);
    close(dfd);
    return 0;
}
