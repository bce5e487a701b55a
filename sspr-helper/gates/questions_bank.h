/* The bank of security questions users choose from (questions_file), and
 * what the dummy path asks a name with no registered questions. */
#ifndef SSPR_QUESTIONS_BANK_H
#define SSPR_QUESTIONS_BANK_H

#include <stddef.h>

#include "support/config.h"

#define SSPR_QBANK_MAX 64
#define SSPR_QBANK_LINE 200

struct sspr_qbank {
    size_t n;
    char q[SSPR_QBANK_MAX][SSPR_QBANK_LINE];
};

/* Read questions_file (root-owned; one question per line, '#' comments).
 * Returns 0 with at least questions_required questions, else -1. */
int sspr_qbank_load(const struct sspr_config *cfg, struct sspr_qbank *b);

/* n questions for a name that has none registered: a fixed subset of
 * `pool` questions of the bank chosen by seed (so the same name always
 * draws from the same questions, as a real account with `pool` registered
 * questions would), n of them at random. */
void sspr_qbank_for_name(const struct sspr_qbank *b, const char *seed, unsigned pool, unsigned n,
                         const char *out[]);

/* Spend what checking one real answer costs (one argon2id verification),
 * and never succeed. */
void sspr_qbank_dummy_check(const char *answer);

#endif
