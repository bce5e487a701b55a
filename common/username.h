/* What a user name typed at a prompt may look like before we use it. */
#ifndef SSPR_USERNAME_H
#define SSPR_USERNAME_H

#define SSPR_USER_MAX 256

/* 1 when name is acceptable to look up: non-empty, at most SSPR_USER_MAX
 * bytes, no control characters, no ':' or '/', no leading '-' or '.',
 * no whitespace. Otherwise 0. */
int sspr_username_ok(const char *name);

#endif
