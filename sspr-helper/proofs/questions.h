/*
 * Security questions: off by default, never for admins, never the only
 * gate (the flow enforces those; see config.h). Answers are normalised and
 * hashed with argon2id (libsodium crypto_pwhash_str, which embeds its
 * parameters, so they can change later: sspr_questions_needs_rehash).
 *
 * Normalisation, in order:
 *   1. the answer must be valid UTF-8 (else an error);
 *   2. Unicode NFKC, then full case folding, then NFKC again
 *      (libunistring u8_normalize + u8_casefold): "Ｆｌｕｆｆｙ" == "fluffy",
 *      "STRASSE" == "straße";
 *   3. control characters removed, runs of white space (ASCII blanks, and
 *      any Unicode space NFKC maps to U+0020) collapsed to one space,
 *      leading and trailing space trimmed:
 *      "  Fluffy\tthe  CAT " == "fluffy the cat".
 *
 * A registered question is its text and the hash of its answer
 * (gates/questions.c keeps them as the gate's material).
 */
#ifndef SSPR_QUESTIONS_H
#define SSPR_QUESTIONS_H

#include <stddef.h>

#include <sodium.h>

/* argon2id cost for new hashes: 3 passes over 16 MiB (~50 ms here). The
 * interactive preset is 64 MiB, too much for a PAM helper that may run
 * many times at once. */
#define SSPR_QUESTIONS_OPSLIMIT 3ULL
#define SSPR_QUESTIONS_MEMLIMIT (16ULL * 1024 * 1024)

#define SSPR_QUESTIONS_MAX 10           /* questions in one record */
#define SSPR_QUESTIONS_MAX_Q 256        /* bytes of one question */
#define SSPR_QUESTIONS_MAX_ANSWER 256   /* bytes of one answer, as typed */
#define SSPR_QUESTIONS_MIN_ANSWER 3     /* characters of a normalised answer, spaces not
                                           counted (enrollment) */

/* Normalise answer into a malloc'd string (free with sspr_wipe_free_str).
 * Returns NULL for invalid UTF-8, an answer over SSPR_QUESTIONS_MAX_ANSWER
 * bytes, or no memory. */
char *sspr_questions_normalize(const char *answer);

/* Hash the normalised answer into out. Refuses (-1) answers that
 * normalise to fewer than SSPR_QUESTIONS_MIN_ANSWER characters. 0 or -1. */
int sspr_questions_hash(const char *answer, char out[crypto_pwhash_STRBYTES]);

/* 0 when answer (normalised) matches stored, else -1 (also for a stored
 * string that is not an argon2id hash). */
int sspr_questions_verify(const char *stored, const char *answer);

/* 1 when stored was made with other parameters than today's. */
int sspr_questions_needs_rehash(const char *stored);

/* n distinct random indices out of 0..m-1 into out_idx (uniform, via
 * randombytes_uniform: a partial Fisher-Yates shuffle). 0, or -1 when
 * n > m, m > SSPR_QUESTIONS_MAX or n == 0. */
int sspr_questions_pick(unsigned n, unsigned m, unsigned out_idx[]);

/* 1 when q can be a question: valid UTF-8, 1..SSPR_QUESTIONS_MAX_Q bytes,
 * no control characters. */
int sspr_questions_question_ok(const char *q);

/* 1 when stored looks like an argon2id hash string. */
int sspr_questions_hash_ok(const char *stored);

#endif
