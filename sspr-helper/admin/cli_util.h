/* Pieces shared by the admin commands. */
#ifndef SSPR_CLI_UTIL_H
#define SSPR_CLI_UTIL_H

#include <jansson.h>
#include <sys/types.h>

#include "backends/backend.h"
#include "support/config.h"
#include "username.h"

struct target {
    char name[SSPR_USER_MAX + 1];
    uid_t uid;
    char key[64];
};

/* The account called name (canonical, existing); prints why not. */
int sspr_cli_find_user(const char *name, struct target *t);

/* Open (creating if needed) the state directory; prints why not. */
int sspr_cli_open_store(const struct sspr_config *cfg, struct sspr_store *st);

/* Locked read-modify-write of t's record; prints why not. 0 or 1. */
int sspr_cli_edit_record(const struct sspr_config *cfg, const struct target *t,
                         sspr_record_edit edit, void *ctx);

#endif
