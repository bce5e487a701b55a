/*
 * Credentials for the SMTP server and the SMS gateway, from a root-only
 * file ([email] auth_file, [sms] auth_file):
 *
 *     # comments and empty lines are fine
 *     username = sspr@example.com
 *     password = secret
 *     bearer = TOKEN          (SMS only, instead of username/password)
 *
 * The file is opened with sspr_open_safely (no symlink, owned by the
 * helper's effective user - root in production - regular file, size cap)
 * and its mode must be 0600 or 0400: no bits for group or others, since it
 * holds a secret. Values run to the end of the line (inner blanks kept,
 * blanks around them dropped); unknown keys, duplicates, control
 * characters and over-long values are errors.
 */
#ifndef SSPR_DELIVERY_AUTHFILE_H
#define SSPR_DELIVERY_AUTHFILE_H

#include <stddef.h>

#define SSPR_AUTHFILE_MAX_BYTES 8192

struct sspr_auth {
    char username[256];
    char password[512];
    char bearer[2048];
};

/* Load path into a (all fields "" when absent). Returns 0, or -1 with err
 * set and a wiped. */
int sspr_auth_load(const char *path, struct sspr_auth *a, char *err, size_t errlen);

/* The same with flags: SSPR_AUTH_PASSWORD_ONLY takes one "password = ..."
 * line and nothing else (the LDAP bind_pw_file: the DN is bind_dn). */
#define SSPR_AUTH_PASSWORD_ONLY 1u
int sspr_auth_load_flags(const char *path, struct sspr_auth *a, unsigned flags, char *err,
                         size_t errlen);

/* Wipe the secrets. */
void sspr_auth_wipe(struct sspr_auth *a);

#endif
