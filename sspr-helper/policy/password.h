/* The project's own new-password checks, before the system's (pwquality). */
#ifndef SSPR_PWCHECK_H
#define SSPR_PWCHECK_H

#include <stddef.h>

#include "support/config.h"

/* NULL when pw is acceptable; else a message for the user. */
const char *sspr_pwcheck(const struct sspr_config *cfg, const char *user, const char *pw);

/* The system's quality rules (libpwquality with pwquality.conf and the
 * pam_pwquality arguments of the writeback stack) for pw: 0 when they take
 * it or cannot be asked, -1 with why (our wording) when they refuse it. */
int sspr_pwquality_precheck(const struct sspr_config *cfg, const char *user, const char *pw,
                            char *why, size_t whylen);

/* pwquality's "BAD PASSWORD: The password is a palindrome" in our words:
 * "That password is not accepted: the password is a palindrome." */
void sspr_pwquality_phrase(const char *text, char *out, size_t outlen);

/* 1 when text is pam_pwquality's refusal ("BAD PASSWORD: ...", in English
 * or in the language in use). */
int sspr_pwquality_is_refusal(const char *text);

#endif
