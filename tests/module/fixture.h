/* A real libpam handle (pam_start_confdir on a throwaway service dir) with
 * a scripted conversation that records every message. */
#ifndef SSPR_TEST_FIXTURE_H
#define SSPR_TEST_FIXTURE_H

#include <limits.h>
#include <security/pam_appl.h>

#include "shim.h"

enum reply_kind {
    R_ANSWER,     /* strdup(answer) */
    R_CONV_ERR,   /* return PAM_CONV_ERR */
    R_NULL_ARRAY, /* PAM_SUCCESS with *resp == NULL */
    R_NULL_RESP,  /* PAM_SUCCESS with resp[0].resp == NULL */
};

struct reply {
    enum reply_kind kind;
    const char *answer;
};

#define FX_MAX_MSGS 32
#define FX_MAX_REPLIES 16

struct fixture {
    struct sspr_shim_hook hook; /* first: the shim reads it via appdata_ptr */
    struct pam_conv conv;
    pam_handle_t *pamh;
    char dir[PATH_MAX];
    struct reply replies[FX_MAX_REPLIES];
    int nreplies, next_reply;
    int fail_messages; /* PAM_CONV_ERR for TEXT_INFO/ERROR_MSG */
    int nmsgs;
    int styles[FX_MAX_MSGS];
    char *texts[FX_MAX_MSGS];
};

/* service: "sspr-test" (pam_permit), or any other name for a stack of
 * the shim module alone ("sspr-shim", or "lightdm" to be a greeter). */
struct fixture *fx_new(const char *service, const char *user);
void fx_free(struct fixture *fx);
void fx_reply(struct fixture *fx, enum reply_kind kind, const char *answer);
/* Number of recorded messages with this style (and text if not NULL). */
int fx_count(const struct fixture *fx, int style, const char *text);
/* Number of recorded messages whose text contains needle. */
int fx_count_sub(const struct fixture *fx, const char *needle);

/* For helper scripts: a fresh root-owned 0755 directory under the build
 * dir whose whole chain passes the module's path check. Returns 0, or -1
 * when that is impossible here (not root, or an unsafe build dir): skip. */
int fx_helper_dir(pam_handle_t *pamh, char *dir, size_t n);
/* Write text to dir/name with mode; returns the path in a static buffer. */
const char *fx_script(const char *dir, const char *name, const char *text, unsigned mode);
/* rm -rf dir (no symlink following). */
void fx_rm_tree(const char *dir);

#endif
