/*
 * Security questions: normalise, hash (argon2id), verify, pick. See
 * questions.h.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "proofs/questions.h"
#include "wipe.h"

static void wipe_free_u8(uint8_t *p, size_t n)
{
    if (p != NULL) {
        sspr_wipe(p, n);
        free(p);
    }
}

static int is_space(ucs4_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int is_control(ucs4_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200b || c == 0x200c ||
           c == 0x200d || c == 0xfeff;
}

char *sspr_questions_normalize(const char *answer)
{
    uint8_t *nfkc = NULL, *folded = NULL;
    size_t n, nlen = 0, flen = 0, i, o = 0;
    char *out = NULL;
    int space = 0;

    if (answer == NULL)
        return NULL;
    n = strnlen(answer, SSPR_QUESTIONS_MAX_ANSWER + 1);
    if (n > SSPR_QUESTIONS_MAX_ANSWER || u8_check((const uint8_t *)answer, n) != NULL)
        return NULL;
    /* Compatibility forms first (fullwidth letters, ligatures), then case
     * folding, normalised again so that the fold's output is canonical. */
    nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)answer, n, NULL, &nlen);
    if (nfkc == NULL)
        return NULL;
    folded = u8_casefold(nfkc, nlen, NULL, UNINORM_NFKC, NULL, &flen);
    wipe_free_u8(nfkc, nlen);
    if (folded == NULL)
        return NULL;
    out = malloc(flen + 1);
    if (out == NULL)
        goto done;
    for (i = 0; i < flen;) {
        ucs4_t c;
        int l = u8_mbtouc(&c, folded + i, flen - i);

        if (l <= 0)
            break;
        if (is_space(c)) {
            space = 1;
        } else if (!is_control(c)) {
            if (space && o > 0)
                out[o++] = ' ';
            space = 0;
            memcpy(out + o, folded + i, (size_t)l);
            o += (size_t)l;
        }
        i += (size_t)l;
    }
    out[o] = '\0';

done:
    wipe_free_u8(folded, flen);
    return out;
}

static size_t count_spaces(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == ' ';
    return n;
}

int sspr_questions_hash(const char *answer, char out[crypto_pwhash_STRBYTES])
{
    char *norm;
    int rc;

    if (out == NULL)
        return -1;
    memset(out, 0, crypto_pwhash_STRBYTES);
    norm = sspr_questions_normalize(answer);
    if (norm == NULL)
        return -1;
    if (u8_mbsnlen((const uint8_t *)norm, strlen(norm)) - count_spaces(norm) <
        SSPR_QUESTIONS_MIN_ANSWER) {
        sspr_wipe_free_str(norm);
        return -1;
    }
    rc = crypto_pwhash_str_alg(out, norm, strlen(norm), SSPR_QUESTIONS_OPSLIMIT,
                               (size_t)SSPR_QUESTIONS_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
    sspr_wipe_free_str(norm);
    return rc == 0 ? 0 : -1;
}

static int argon2id_str(const char *stored)
{
    return stored != NULL && strncmp(stored, "$argon2id$", 10) == 0 &&
           strnlen(stored, crypto_pwhash_STRBYTES) < crypto_pwhash_STRBYTES;
}

int sspr_questions_verify(const char *stored, const char *answer)
{
    char *norm;
    int rc;

    if (!argon2id_str(stored))
        return -1;
    norm = sspr_questions_normalize(answer);
    if (norm == NULL)
        return -1;
    rc = crypto_pwhash_str_verify(stored, norm, strlen(norm));
    sspr_wipe_free_str(norm);
    return rc == 0 ? 0 : -1;
}

int sspr_questions_needs_rehash(const char *stored)
{
    if (!argon2id_str(stored))
        return 1;
    return crypto_pwhash_str_needs_rehash(stored, SSPR_QUESTIONS_OPSLIMIT,
                                          (size_t)SSPR_QUESTIONS_MEMLIMIT) != 0;
}

int sspr_questions_pick(unsigned n, unsigned m, unsigned out_idx[])
{
    unsigned idx[SSPR_QUESTIONS_MAX], i;

    if (out_idx == NULL || n == 0 || n > m || m > SSPR_QUESTIONS_MAX)
        return -1;
    for (i = 0; i < m; i++)
        idx[i] = i;
    /* Partial Fisher-Yates: position i gets a uniform pick of the rest. */
    for (i = 0; i < n; i++) {
        unsigned j = i + (unsigned)randombytes_uniform((uint32_t)(m - i));
        unsigned t = idx[i];

        idx[i] = idx[j];
        idx[j] = t;
        out_idx[i] = idx[i];
    }
    return 0;
}

int sspr_questions_question_ok(const char *q)
{
    size_t n;

    if (q == NULL)
        return 0;
    n = strnlen(q, SSPR_QUESTIONS_MAX_Q + 1);
    if (n == 0 || n > SSPR_QUESTIONS_MAX_Q || u8_check((const uint8_t *)q, n) != NULL)
        return 0;
    for (; *q != '\0'; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return 0;
    return 1;
}

int sspr_questions_hash_ok(const char *stored)
{
    return stored != NULL && argon2id_str(stored);
}
