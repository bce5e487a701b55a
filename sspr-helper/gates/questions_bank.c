#include "autoconf.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "proofs/questions.h"
#include "gates/questions_bank.h"
#include "support/safe_open.h"

#define BANK_MAX_BYTES (64 * 1024)

/* A hash of a random value nobody knows, made with the same parameters as
 * real answers, so a dummy check costs what a real one does. */
static const char DUMMY_HASH[] = "$argon2id$v=19$m=16384,t=3,p=1$VViXGCG7E7nTT09qWP37fw$"
                                 "VxX0yt/URN2fAlfH3tI3JijkSftGHmA7QDFvllfY9ks";

int sspr_qbank_load(const struct sspr_config *cfg, struct sspr_qbank *b)
{
    char *text = NULL, *save = NULL;
    size_t len = 0;
    b->n = 0;
    if (sspr_read_file_safely(cfg->questions_file, geteuid(), BANK_MAX_BYTES, &text, &len, NULL,
                              0) != 0)
        return -1;
    for (char *line = strtok_r(text, "\n", &save); line != NULL && b->n < SSPR_QBANK_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#' || n >= SSPR_QBANK_LINE)
            continue;
        memcpy(b->q[b->n++], line, n + 1);
    }
    free(text);
    return b->n >= (size_t)cfg->questions_required && b->n >= 1 ? 0 : -1;
}

void sspr_qbank_for_name(const struct sspr_qbank *b, const char *seed, unsigned pool, unsigned n,
                         const char *out[])
{
    unsigned subset[SSPR_QBANK_MAX], m = 0, order[SSPR_QBANK_MAX];
    unsigned want = pool < b->n ? pool : (unsigned)b->n;

    /* Deterministic picks: BLAKE2b(seed, counter) mod bank size. */
    for (uint32_t ctr = 0; m < want && ctr < 4096; ctr++) {
        unsigned char h[8];
        uint64_t v = 0;
        crypto_generichash(h, sizeof(h), (const unsigned char *)&ctr, sizeof(ctr),
                           (const unsigned char *)seed, strlen(seed) > 64 ? 64 : strlen(seed));
        memcpy(&v, h, sizeof(v));
        unsigned pick = (unsigned)(v % b->n), dup = 0;
        for (unsigned i = 0; i < m; i++)
            dup |= subset[i] == pick;
        if (!dup)
            subset[m++] = pick;
    }
    sspr_questions_pick(n <= m ? n : m, m, order);
    for (unsigned i = 0; i < n; i++)
        out[i] = b->q[subset[order[i % (m ? m : 1)] % (m ? m : 1)]];
}

void sspr_qbank_dummy_check(const char *answer)
{
    (void)sspr_questions_verify(DUMMY_HASH, answer);
}
