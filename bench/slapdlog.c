/* sspr-bench: counting LDAP operations in slapd's own log (`-d stats`,
 * bench/ldap_slapd.py starts it so), between two offsets of the file.
 *
 * Each operation is one "conn=C op=O" pair; its first line names the
 * request (BIND, SRCH, MOD, EXT, UNBIND, ...; PROXYAUTHZ is a control line
 * of the EXT that follows), its RESULT line the result code and slapd's
 * own time (qtime + etime). A connection counts when its "conn=C fd=F
 * ACCEPT" is in the span; "conn=C fd=F closed" ends it. The lines of one
 * operation or connection may come from different threads, so nothing
 * here depends on their order. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

#define OID_STARTTLS "1.3.6.1.4.1.1466.20037"
#define OID_PASSMOD "1.3.6.1.4.1.4203.1.11.1"
#define OID_WHOAMI "1.3.6.1.4.1.4203.1.11.3"

const char *const slapd_op_names[SLAPD_NTYPES] = { "StartTLS", "BIND", "SRCH",   "MOD",  "PASSMOD",
                                                   "WHOAMI",   "EXT",  "UNBIND", "other" };

long slapdlog_size(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        die("cannot stat %s: %s", path, strerror(errno));
    return (long)st.st_size;
}

struct op {
    long conn, op;
    int type; /* -1 until a request line is seen */
    bool throttle, result;
    int err;
    double secs;
};

static struct op *find_op(struct op **ops, int *n, int *cap, long conn, long op)
{
    for (int i = *n - 1; i >= 0; i--)
        if ((*ops)[i].conn == conn && (*ops)[i].op == op)
            return &(*ops)[i];
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        if ((*ops = realloc(*ops, (size_t)*cap * sizeof(**ops))) == NULL)
            die("out of memory");
    }
    (*ops)[*n] = (struct op){ .conn = conn, .op = op, .type = -1 };
    return &(*ops)[(*n)++];
}

/* "6b0f264f.27e092bb 0x7f... conn=...": seconds and nanoseconds in hex */
static double stamp(const char *line)
{
    char *e;
    unsigned long sec = strtoul(line, &e, 16), ns;

    if (*e != '.')
        return 0;
    ns = strtoul(e + 1, NULL, 16);
    return (double)sec + (double)ns / 1e9;
}

static int request_type(const char *w)
{
    static const struct {
        const char *word;
        int type;
    } words[] = {
        { "BIND ", SLAPD_BIND },    { "SRCH ", SLAPD_SRCH }, { "MOD ", SLAPD_MOD },
        { "UNBIND", SLAPD_UNBIND }, { "ADD ", SLAPD_OTHER }, { "DEL ", SLAPD_OTHER },
        { "MODRDN ", SLAPD_OTHER }, { "CMP ", SLAPD_OTHER }, { "ABANDON ", SLAPD_OTHER }
    };

    if (strncmp(w, "EXT oid=", 8) == 0) {
        w += 8;
        if (strncmp(w, OID_STARTTLS, strlen(OID_STARTTLS)) == 0)
            return SLAPD_STARTTLS;
        if (strncmp(w, OID_PASSMOD, strlen(OID_PASSMOD)) == 0)
            return SLAPD_PASSMOD;
        if (strncmp(w, OID_WHOAMI, strlen(OID_WHOAMI)) == 0)
            return SLAPD_WHOAMI;
        return SLAPD_EXT;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(w, words[i].word, strlen(words[i].word)) == 0)
            return words[i].type;
    return -1;
}

struct conn {
    long id;
    bool accepted, closed;
    double t_accept, t_tls, t_bind, t_srch;
};

static struct conn *find_conn(struct conn *c, int *n, long id)
{
    for (int i = 0; i < *n; i++)
        if (c[i].id == id)
            return &c[i];
    if (*n == SLAPD_MAX_CONNS)
        return NULL;
    c[*n] = (struct conn){ .id = id };
    return &c[(*n)++];
}

static void count(const char *path, long from, long to, long only, struct slapd_span *s)
{
    FILE *f = fopen(path, "r");
    struct op *ops = NULL;
    struct conn conns[SLAPD_MAX_CONNS];
    int nops = 0, cap = 0, nconns = 0;
    char line[4096];
    long pos;

    memset(s, 0, sizeof(*s));
    if (f == NULL)
        die("cannot open %s: %s", path, strerror(errno));
    if (fseek(f, from, SEEK_SET) != 0)
        die("cannot seek in %s", path);
    pos = from;
    while (pos < to && fgets(line, sizeof(line), f) != NULL) {
        char *c = strstr(line, " conn="), *p;
        struct conn *cn;
        double t;

        pos += (long)strlen(line);
        if (c == NULL)
            continue;
        if ((cn = find_conn(conns, &nconns, strtol(c + 6, &p, 10))) == NULL)
            continue;
        /* milestones on slapd's clock (the line's hex seconds.nanoseconds,
         * CLOCK_REALTIME) */
        t = stamp(line);
        if (strncmp(p, " fd=", 4) == 0) {
            if (strstr(p, " ACCEPT ") != NULL) {
                cn->accepted = true;
                cn->t_accept = t;
            } else if (strstr(p, " closed") != NULL) {
                cn->closed = true;
            } else if (strstr(p, " TLS established") != NULL) {
                cn->t_tls = t;
            }
            continue;
        }
        if (strncmp(p, " op=", 4) == 0) {
            long opn = strtol(p + 4, &p, 10);
            struct op *o = find_op(&ops, &nops, &cap, cn->id, opn);
            int ty;
            char *r;

            p++; /* the space */
            if (o->type < 0 && (ty = request_type(p)) >= 0)
                o->type = ty;
            if (strncmp(p, "MOD attr=", 9) == 0 && strstr(p, "ssprThrottle") != NULL)
                o->throttle = true;
            if (strncmp(p, "RESULT tag=97 ", 14) == 0 && cn->t_bind == 0)
                cn->t_bind = t;
            if (strncmp(p, "SEARCH RESULT ", 14) == 0 && cn->t_srch == 0)
                cn->t_srch = t;
            if ((r = strstr(p, "RESULT ")) != NULL && (r = strstr(r, " err=")) != NULL) {
                char *q;

                o->result = true;
                o->err = atoi(r + 5);
                if ((q = strstr(r, " qtime=")) != NULL)
                    o->secs += atof(q + 7);
                if ((q = strstr(r, " etime=")) != NULL)
                    o->secs += atof(q + 7);
            }
        }
    }
    fclose(f);
    /* Only connections accepted in this span count (with their operations):
     * the last lines of an earlier one (its UNBIND, its close) may be
     * logged after the span began. */
    for (int i = 0; i < nconns; i++) {
        const struct conn *cn = &conns[i];

        if (!(cn->accepted || cn->id == only))
            continue;
        if (s->nconn == 0 || cn->t_accept < s->t_accept) {
            s->t_accept = cn->t_accept;
            s->t_tls = cn->t_tls;
            s->t_bind = cn->t_bind;
            s->t_srch = cn->t_srch;
        }
        s->conns[s->nconn++] = cn->id;
        s->closed += cn->closed;
    }
    for (int i = 0; i < nops; i++) {
        const struct op *o = &ops[i];
        bool ours = false;

        for (int k = 0; k < s->nconn; k++)
            ours = ours || s->conns[k] == o->conn;
        if (o->type < 0 || !ours)
            continue;
        s->ops++;
        s->by_type[o->type]++;
        s->server_s += o->secs;
        if (o->type == SLAPD_MOD && o->throttle) {
            s->throttle_mods++;
            /* the compare-and-swap lost: the value it deleted was gone, or
             * the one it added was there (backends/ldap/entry.c) */
            if (o->result && (o->err == 16 || o->err == 19 || o->err == 20))
                s->throttle_conflicts++;
        }
        if (o->type == SLAPD_MOD && o->result && o->err != 0)
            s->mod_errors++;
        if (o->type == SLAPD_MOD && o->result && o->err == 0)
            s->mod_ok_s += o->secs;
    }
    free(ops);
}

void slapdlog_count(const char *path, long from, long to, struct slapd_span *s)
{
    count(path, from, to, -1, s);
}

void slapdlog_count_conn(const char *path, long from, long to, long conn, struct slapd_span *s)
{
    count(path, from, to, conn, s);
}

long slapdlog_settle(const char *path, long from, int timeout_ms)
{
    double end = now_us() + timeout_ms * 1000.0;
    long to;

    for (;;) {
        struct slapd_span s;

        to = slapdlog_size(path);
        slapdlog_count(path, from, to, &s);
        if (s.closed >= s.nconn || now_us() > end)
            return to;
        sleep_us(1000);
    }
}

void slapd_span_add(struct slapd_span *sum, const struct slapd_span *s)
{
    sum->nconn += s->nconn;
    sum->closed += s->closed;
    sum->ops += s->ops;
    for (int i = 0; i < SLAPD_NTYPES; i++)
        sum->by_type[i] += s->by_type[i];
    sum->throttle_mods += s->throttle_mods;
    sum->throttle_conflicts += s->throttle_conflicts;
    sum->mod_errors += s->mod_errors;
    sum->server_s += s->server_s;
    sum->mod_ok_s += s->mod_ok_s;
}

void slapd_span_format(const struct slapd_span *s, char *out, size_t len)
{
    size_t o = 0;

    out[0] = '\0';
    for (int i = 0; i < SLAPD_NTYPES; i++) {
        int n;

        if (s->by_type[i] == 0)
            continue;
        n = snprintf(out + o, len - o, "%s%d %s", o ? ", " : "", s->by_type[i], slapd_op_names[i]);
        if (n < 0 || (size_t)n >= len - o)
            return;
        o += (size_t)n;
    }
}
