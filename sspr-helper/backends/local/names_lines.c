/*
 * The text of a bucket of unknown names' throttle records (names.c): one
 * line per name, its hash and its record,
 *
 *   <32 hex> {"failures":N,"since":T,...}\n
 *
 * A line, not one JSON document for the bucket: a flow finds its own line
 * with memcmp and parses that one record alone, so what it pays does not
 * grow with the names that share its bucket (parsing a whole bucket of 80
 * names cost half a millisecond). Lines this code cannot read are kept as
 * they are.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "backends/local/local.h"
#include "state/throttle.h"

int sspr_names_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int sspr_names_next(const char *text, size_t len, size_t *off, struct sspr_names_line *l)
{
    const char *p, *nl;
    size_t n;

    if (*off >= len)
        return 0;
    p = text + *off;
    nl = memchr(p, '\n', len - *off);
    n = nl != NULL ? (size_t)(nl - p) : len - *off;
    *off += n + (nl != NULL);
    l->p = p;
    l->len = n;
    /* the hash alone makes it the name's line: one damaged after it
     * ("<hex>", "<hex>\t{...}") is that name's unreadable line, never
     * no line at all */
    l->ours = n >= SSPR_NAMES_HEX && sspr_names_hex(p, SSPR_NAMES_HEX);
    return 1;
}

int sspr_names_is(const struct sspr_names_line *l, const char *hex)
{
    return l->ours && memcmp(l->p, hex, SSPR_NAMES_HEX) == 0;
}

int sspr_names_decode(const struct sspr_names_line *l, struct sspr_throttle_rec *r)
{
    json_t *o;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!l->ours || l->len < SSPR_NAMES_HEX + 2 || l->p[SSPR_NAMES_HEX] != ' ')
        return SSPR_ERR_CORRUPT;
    /* NUL stays refused inside strings, and so does a second key */
    o = json_loadb(l->p + SSPR_NAMES_HEX + 1, l->len - SSPR_NAMES_HEX - 1, JSON_REJECT_DUPLICATES,
                   NULL);
    if (o == NULL)
        return SSPR_ERR_CORRUPT;
    rc = sspr_local_throttle_decode(o, r);
    json_decref(o);
    return rc;
}

int sspr_names_find(const char *text, size_t len, const char *hex, struct sspr_throttle_rec *r,
                    int *found)
{
    struct sspr_names_line l, mine = { 0 };
    size_t off = 0;

    *found = 0;
    memset(r, 0, sizeof(*r));
    while (sspr_names_next(text, len, &off, &l))
        if (sspr_names_is(&l, hex)) {
            /* two lines for one name: which one counts is anyone's guess */
            if ((*found)++ > 0)
                return SSPR_ERR_CORRUPT;
            mine = l;
        }
    return *found ? sspr_names_decode(&mine, r) : SSPR_OK;
}

int sspr_names_whole(const char *text, size_t len)
{
    return len > 0 && text[len - 1] == '\n' && memchr(text, '\0', len) == NULL;
}

/* ---- building a bucket's new text ---------------------------------------------- */

static int grow(struct sspr_names_text *t, size_t more)
{
    size_t want = t->len + more + 1;

    if (want <= t->cap)
        return 0;
    if (want > SSPR_STORE_MAX_RECORD + 1)
        return -1;
    want = want < 4096 ? 4096 : want + want / 2;
    char *p = realloc(t->p, want);
    if (p == NULL)
        return -1;
    t->p = p;
    t->cap = want;
    return 0;
}

int sspr_names_put_line(struct sspr_names_text *t, const struct sspr_names_line *l)
{
    if (grow(t, l->len + 1) != 0)
        return SSPR_ERR_NOMEM;
    memcpy(t->p + t->len, l->p, l->len);
    t->len += l->len;
    t->p[t->len++] = '\n';
    t->p[t->len] = '\0';
    t->lines++;
    return SSPR_OK;
}

int sspr_names_put(struct sspr_names_text *t, const char *hex, const struct sspr_throttle_rec *r)
{
    json_t *o = sspr_local_throttle_encode(r);
    char *js = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    size_t n = js != NULL ? strlen(js) : 0;
    int rc = SSPR_ERR_NOMEM;

    json_decref(o);
    if (js != NULL && grow(t, SSPR_NAMES_HEX + 1 + n + 1) == 0) {
        memcpy(t->p + t->len, hex, SSPR_NAMES_HEX);
        t->p[t->len + SSPR_NAMES_HEX] = ' ';
        memcpy(t->p + t->len + SSPR_NAMES_HEX + 1, js, n);
        t->len += SSPR_NAMES_HEX + 1 + n;
        t->p[t->len++] = '\n';
        t->p[t->len] = '\0';
        t->lines++;
        rc = SSPR_OK;
    }
    free(js);
    return rc;
}

void sspr_names_text_free(struct sspr_names_text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

/* The newest time a record says anything about (0: none, idle longest). */
static long long last_seen(const struct sspr_throttle_rec *r)
{
    long long t = r->since > r->locked_until ? r->since : r->locked_until;

    if (r->nsends > 0 && r->sends[r->nsends - 1] > t)
        t = r->sends[r->nsends - 1];
    return t;
}

/* 1 when the line at offset `at` is hex's, empty, or one of gone[0..ngone):
 * not one to keep or to choose. */
static int passed_over(const struct sspr_names_line *l, size_t at, const char *hex,
                       const size_t *gone, size_t ngone)
{
    if (sspr_names_is(l, hex) || l->len == 0)
        return 1;
    for (size_t i = 0; i < ngone; i++)
        if (gone[i] == at)
            return 1;
    return 0;
}

/* The readable line of text (never hex's, never one at an offset in
 * gone[0..ngone)) idle longest: its offset, or len when there is none. */
static size_t victim(const char *text, size_t len, const char *hex, const size_t *gone,
                     size_t ngone)
{
    struct sspr_names_line l;
    size_t off = 0, at = 0, best = len;
    long long bt = 0;

    while (at = off, sspr_names_next(text, len, &off, &l)) {
        struct sspr_throttle_rec r;

        if (passed_over(&l, at, hex, gone, ngone) || sspr_names_decode(&l, &r) != SSPR_OK)
            continue;
        if (best == len || last_seen(&r) < bt) {
            best = at;
            bt = last_seen(&r);
        }
    }
    return best;
}

int sspr_names_replace(const char *old, size_t len, const char *hex,
                       const struct sspr_throttle_rec *r, size_t max_bytes,
                       struct sspr_names_text *out)
{
    struct sspr_names_text mine = { 0 };
    struct sspr_names_line l;
    size_t off = 0, at = 0, kept = 0, nlines = 0, *gone = NULL, ngone = 0;
    int rc = SSPR_OK;

    memset(out, 0, sizeof(*out));
    if (!sspr_throttle_rec_empty(r) && (rc = sspr_names_put(&mine, hex, r)) != SSPR_OK)
        return rc;
    while (sspr_names_next(old, len, &off, &l)) {
        nlines++;
        if (!sspr_names_is(&l, hex) && l.len > 0)
            kept += l.len + 1;
    }
    /* Past the cap the readable line idle longest goes: an attacker who
     * types names by the hundred thousand only makes the counters of names
     * nobody has forget sooner. Unreadable lines stay for an admin. */
    if (kept + mine.len > max_bytes && (gone = calloc(nlines, sizeof(*gone))) == NULL)
        rc = SSPR_ERR_NOMEM;
    while (rc == SSPR_OK && kept + mine.len > max_bytes) {
        size_t v = victim(old, len, hex, gone, ngone), vo = v;

        if (v == len || !sspr_names_next(old, len, &vo, &l))
            rc = SSPR_ERR_IO; /* nothing may go: the write would be refused */
        else {
            kept -= l.len + 1;
            gone[ngone++] = v;
        }
    }
    off = 0;
    while (rc == SSPR_OK && (at = off, sspr_names_next(old, len, &off, &l)))
        if (!passed_over(&l, at, hex, gone, ngone))
            rc = sspr_names_put_line(out, &l);
    if (rc == SSPR_OK && mine.len > 0) {
        struct sspr_names_line ml = { mine.p, mine.len - 1, 1 };

        rc = sspr_names_put_line(out, &ml);
    }
    free(gone);
    sspr_names_text_free(&mine);
    if (rc != SSPR_OK)
        sspr_names_text_free(out);
    return rc;
}
