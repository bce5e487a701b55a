/* New enrolment material (shared by the admin CLI and registration at
 * sign-in): a TOTP secret with its otpauth URI, a set of recovery codes. */
#ifndef SSPR_ENROLL_H
#define SSPR_ENROLL_H

#include <jansson.h>

#include "support/config.h"
#include "proofs/recovery.h"
#include "proofs/totp.h"

struct sspr_new_totp {
    uint8_t secret[SSPR_TOTP_SECRET_BYTES];
    char b32[64];
    char uri[2048];
};

struct sspr_new_recovery {
    char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1];
    json_t *stored;   /* {"key":..,"hashes":[..],"enrolled":T}: to put in the record */
};

/* A fresh secret and its URI (label "issuer:user"). Returns 0 or -1. */
int sspr_new_totp_make(const struct sspr_config *cfg, const char *user, struct sspr_new_totp *t);

/* The record's "totp" object for t; last_step is the step of a code the
 * user already typed to confirm (-1 for none), so it cannot be reused. */
json_t *sspr_new_totp_json(const struct sspr_new_totp *t, long long last_step);

void sspr_new_totp_wipe(struct sspr_new_totp *t);

int sspr_new_recovery_make(struct sspr_new_recovery *r);
void sspr_new_recovery_wipe(struct sspr_new_recovery *r);

/* Format b32 in groups of four for reading aloud / typing by hand. */
void sspr_group4(const char *in, char *out, size_t outlen);

#endif
