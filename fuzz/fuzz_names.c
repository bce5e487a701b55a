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
 *     has) keeps every other non-empty line byte for byte and in order,
 *     except the one a full bucket gives up, and finding the name in the
 *     new text gives the record back (memcmp);
 *   - replacing it with an empty record leaves no line for it;
 *   - a full bucket does not grow.
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

#define CAP 4 /* small, so that inputs reach the full-bucket path */

static unsigned count_lines(const char *text, size_t len, const char *hex, unsigned *mine)
{
    struct sspr_names_line l;
    size_t off = 0;
    unsigned n = 0;

    *mine = 0;
    while (sspr_names_next(text, len, &off, &l)) {
        if (sspr_names_is(&l, hex))
            (*mine)++;
        else if (l.len > 0)
            n++;
    }
    return n;
}

/* Every non-empty line of old other than hex's is in out, in order, but
 * for at most `missing` of them. */
static void check_kept(const char *old, size_t len, const struct sspr_names_text *out,
                       const char *hex, unsigned missing)
{
    struct sspr_names_line a, b;
    size_t oa = 0, ob = 0;
    unsigned skipped = 0;
    int have_b = sspr_names_next(out->p, out->len, &ob, &b);

    while (sspr_names_next(old, len, &oa, &a)) {
        if (sspr_names_is(&a, hex) || a.len == 0)
            continue;
        if (have_b && b.len == a.len && memcmp(a.p, b.p, a.len) == 0) {
            have_b = sspr_names_next(out->p, out->len, &ob, &b);
            continue;
        }
        skipped++;
    }
    FAIL_IF(skipped > missing);
}

static void check_replace(const char *text, size_t len, const char *hex,
                          const struct sspr_throttle_rec *r)
{
    struct sspr_names_text out;
    struct sspr_throttle_rec back;
    unsigned mine, others = count_lines(text, len, hex, &mine), after_others, after_mine;
    int found;

    if (sspr_names_replace(text, len, hex, r, CAP, &out) != SSPR_OK)
        return; /* out of memory or over the record cap: nothing written */
    after_others = count_lines(out.p, out.len, hex, &after_mine);
    if (sspr_throttle_rec_empty(r)) {
        FAIL_IF(after_mine != 0);
        FAIL_IF(after_others != others);
        check_kept(text, len, &out, hex, 0);
    } else {
        FAIL_IF(after_mine != 1);
        FAIL_IF(after_others != (others + 1 > CAP ? others - 1 : others));
        check_kept(text, len, &out, hex, others + 1 > CAP ? 1 : 0);
        FAIL_IF(sspr_names_find(out.p, out.len, hex, &back, &found) != SSPR_OK || !found);
        FAIL_IF(memcmp(&back, r, sizeof(back)) != 0);
    }
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
        rc = sspr_names_find(text, size, h, &got, &found);
        (void)count_lines(text, size, h, &mine);
        FAIL_IF(mine >= 2 && rc != SSPR_ERR_CORRUPT);
        FAIL_IF((mine == 0) != (found == 0));
        if (rc == SSPR_OK && found)
            FAIL_IF(!sspr_throttle_rec_valid(&got));
        check_replace(text, size, h, &r);
        check_replace(text, size, h, &empty);
    }
    return 0;
}
