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
    l->ours = n > SSPR_NAMES_HEX + 1 && p[SSPR_NAMES_HEX] == ' ';
    for (size_t i = 0; l->ours && i < SSPR_NAMES_HEX; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            l->ours = 0;
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
    if (!l->ours)
        return SSPR_ERR_CORRUPT;
    /* NUL stays refused inside strings, and so does a second key */
    o = json_loadb(l->p + SSPR_NAMES_HEX + 1, l->len - SSPR_NAMES_HEX - 1, JSON_REJECT_DUPLICATES,
                   NULL);
    if (o == NULL)
        return SSPR_ERR_CORRUPT;
    rc = sspr_local_throttle_decode(o, r);
    json_decref(o);
    if (rc != SSPR_OK)
        memset(r, 0, sizeof(*r));
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

/* The newest time a record says anything about. */
static long long last_seen(const struct sspr_throttle_rec *r)
{
    long long t = r->since > r->locked_until ? r->since : r->locked_until;

    if (r->nsends > 0 && r->sends[r->nsends - 1] > t)
        t = r->sends[r->nsends - 1];
    return t;
}

/* Which line of old (never hex's) goes to make room: an unreadable one
 * first, else the one idle longest. Its offset, or len when none. */
static size_t victim(const char *old, size_t len, const char *hex)
{
    struct sspr_names_line l;
    size_t off = 0, at = 0, best = len;
    long long bt = 0;

    while (at = off, sspr_names_next(old, len, &off, &l)) {
        struct sspr_throttle_rec r;

        if (sspr_names_is(&l, hex) || l.len == 0)
            continue;
        if (sspr_names_decode(&l, &r) != SSPR_OK)
            return at;
        if (best == len || last_seen(&r) < bt) {
            best = at;
            bt = last_seen(&r);
        }
    }
    return best;
}

int sspr_names_replace(const char *old, size_t len, const char *hex,
                       const struct sspr_throttle_rec *r, unsigned max_lines,
                       struct sspr_names_text *out)
{
    struct sspr_names_line l;
    size_t off = 0, at = 0, drop = len;
    unsigned others = 0;
    int keep = !sspr_throttle_rec_empty(r), rc = SSPR_OK;

    memset(out, 0, sizeof(*out));
    while (sspr_names_next(old, len, &off, &l))
        others += !sspr_names_is(&l, hex) && l.len > 0;
    /* past max_lines the idlest goes; an attacker who types names by the
     * ten thousand only makes the counters of names nobody has forget
     * sooner */
    if (keep && others + 1 > max_lines)
        drop = victim(old, len, hex);
    off = 0;
    while (rc == SSPR_OK && (at = off, sspr_names_next(old, len, &off, &l)))
        if (!sspr_names_is(&l, hex) && at != drop && l.len > 0)
            rc = sspr_names_put_line(out, &l);
    if (rc == SSPR_OK && keep)
        rc = sspr_names_put(out, hex, r);
    if (rc != SSPR_OK)
        sspr_names_text_free(out);
    return rc;
}
