/*
 * libFuzzer target for the text of a bucket of unknown names' throttle
 * records (sspr-helper/backends/local/names_lines.c): "<32 hex> <record
 * JSON>" lines, read the way names.c reads a bucket file.
 *
 * Invariants checked with abort():
 *   - the lines cover the input exactly, each ending at a '\n' or the end;
 *   - a name that sspr_names_find reads has a valid record
 *     (sspr_throttle_rec_valid), and a name with two lines is refused;
 *   - replacing a name's record (the first name line's, and one no line
 *     has) under a byte cap keeps every unreadable line and every other
 *     readable line byte for byte and in order, but for readable ones that
 *     had to go for room; the result fits the cap; finding the name in the
 *     new text gives the record back (memcmp); refused (SSPR_ERR_IO) only
 *     when not even dropping every readable line would make room;
 *   - replacing it with an empty record leaves no line for it.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/local.h"
#include "state/throttle_rec.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 600 /* bytes: small, so that inputs reach the full-bucket path */

/* The bytes of old's non-empty lines other than hex's, all of them and the
 * unreadable ones alone. */
static void sizes(const char *text, size_t len, const char *hex, size_t *all, size_t *unreadable,
                  unsigned *mine)
{
    struct sspr_names_line l;
    size_t off = 0;

    *all = *unreadable = 0;
    *mine = 0;
    while (sspr_names_next(text, len, &off, &l)) {
        struct sspr_throttle_rec r;

        if (sspr_names_is(&l, hex)) {
            (*mine)++;
            continue;
        }
        if (l.len == 0)
            continue;
        *all += l.len + 1;
        if (sspr_names_decode(&l, &r) != SSPR_OK)
            *unreadable += l.len + 1;
    }
}

/* out holds old's lines other than hex's, in order, but for readable ones
 * that went; hex's line, if any, is last. */
static void check_kept(const char *old, size_t len, const struct sspr_names_text *out,
                       const char *hex)
{
    struct sspr_names_line a, b;
    size_t oa = 0, ob = 0;
    int have_b = sspr_names_next(out->p, out->len, &ob, &b);

    while (sspr_names_next(old, len, &oa, &a)) {
        struct sspr_throttle_rec r;

        if (sspr_names_is(&a, hex) || a.len == 0)
            continue;
        if (have_b && b.len == a.len && memcmp(a.p, b.p, a.len) == 0) {
            have_b = sspr_names_next(out->p, out->len, &ob, &b);
            continue;
        }
        FAIL_IF(sspr_names_decode(&a, &r) != SSPR_OK); /* only readable lines go */
    }
    /* what is left in out is hex's line alone */
    FAIL_IF(have_b && !sspr_names_is(&b, hex));
    if (have_b)
        FAIL_IF(sspr_names_next(out->p, out->len, &ob, &b));
}

static void check_replace(const char *text, size_t len, const char *hex,
                          const struct sspr_throttle_rec *r)
{
    struct sspr_names_text out, one = { 0 };
    struct sspr_throttle_rec back;
    size_t all, unreadable;
    unsigned mine, after_mine;
    int found, rc;

    sizes(text, len, hex, &all, &unreadable, &mine);
    FAIL_IF(!sspr_throttle_rec_empty(r) && sspr_names_put(&one, hex, r) != SSPR_OK);
    rc = sspr_names_replace(text, len, hex, r, CAP, &out);
    if (rc == SSPR_ERR_IO) {
        /* refused only when even the unreadable lines alone leave no room */
        FAIL_IF(unreadable + one.len <= CAP);
        FAIL_IF(out.p != NULL);
        sspr_names_text_free(&one);
        return;
    }
    if (rc != SSPR_OK) {
        sspr_names_text_free(&one);
        return; /* out of memory */
    }
    FAIL_IF(out.len > CAP);
    FAIL_IF(all + one.len <= CAP && out.len != all + one.len);
    check_kept(text, len, &out, hex);
    sizes(out.p, out.len, hex, &all, &unreadable, &after_mine);
    if (sspr_throttle_rec_empty(r)) {
        FAIL_IF(after_mine != 0);
    } else {
        FAIL_IF(after_mine != 1);
        FAIL_IF(sspr_names_find(out.p, out.len, hex, &back, &found) != SSPR_OK || !found);
        FAIL_IF(memcmp(&back, r, sizeof(back)) != 0);
    }
    sspr_names_text_free(&one);
    sspr_names_text_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char absent[] = "0123456789abcdef0123456789abcdef";
    struct sspr_throttle_rec r, empty;
    struct sspr_names_line l;
    const char *text = (const char *)data;
    char hex[SSPR_NAMES_HEX + 1] = "";
    size_t off = 0, covered = 0;
    unsigned mine;
    int found, rc;

    while (sspr_names_next(text, size, &off, &l)) {
        FAIL_IF(l.p != text + covered);
        covered += l.len;
        FAIL_IF(covered > size);
        if (covered < size) {
            FAIL_IF(text[covered] != '\n');
            covered++;
        }
        FAIL_IF(memchr(l.p, '\n', l.len) != NULL);
        if (l.ours && hex[0] == '\0') {
            memcpy(hex, l.p, SSPR_NAMES_HEX);
            hex[SSPR_NAMES_HEX] = '\0';
        }
    }
    FAIL_IF(covered != size || off != size);

    memset(&empty, 0, sizeof(empty));
    memset(&r, 0, sizeof(r));
    r.failures = 2;
    r.since = 1700000000;
    r.consecutive = 2;
    r.nsends = 1;
    r.sends[0] = 1700000100;
    for (int k = 0; k < 2; k++) {
        const char *h = k == 0 ? hex : absent;
        struct sspr_throttle_rec got;

        if (h[0] == '\0')
            continue;
        size_t all, unreadable;

        rc = sspr_names_find(text, size, h, &got, &found);
        sizes(text, size, h, &all, &unreadable, &mine);
        FAIL_IF(mine >= 2 && rc != SSPR_ERR_CORRUPT);
        FAIL_IF((mine == 0) != (found == 0));
        if (rc == SSPR_OK && found)
            FAIL_IF(!sspr_throttle_rec_valid(&got));
        check_replace(text, size, h, &r);
        check_replace(text, size, h, &empty);
    }
    return 0;
}
