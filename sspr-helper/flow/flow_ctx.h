/* What one helper run knows: shared by the reset flow (flow.c) and
 * registration at sign-in (register.c). */
#ifndef SSPR_FLOW_CTX_H
#define SSPR_FLOW_CTX_H

#include "backends/account.h"
#include "support/audit.h"
#include "backends/backend.h"
#include "support/channel.h"
#include "support/config.h"

struct sspr_flow {
    struct sspr_channel ch;
    const struct sspr_config *cfg;
    struct sspr_hello hello;
    struct sspr_account acct;
    struct sspr_audit audit;
    struct sspr_store store;
    struct sspr_backend be;
    int can_pass;           /* 0: the dummy path, which never succeeds */
    int is_admin;
    char throttle_key[96];
};

/* Audit the outcome and send RESULT. */
void sspr_flow_finish(struct sspr_flow *f, const char *word, const char *why);

#endif
