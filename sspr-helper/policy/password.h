/* The project's own new-password checks, before the system's (pwquality). */
#ifndef SSPR_PWCHECK_H
#define SSPR_PWCHECK_H

#include <stddef.h>

#include "support/config.h"

/* NULL when pw is acceptable; else a message for the user. */
const char *sspr_pwcheck(const struct sspr_config *cfg, const char *user, const char *pw);

#endif
