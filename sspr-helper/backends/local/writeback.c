/* Writeback (docs/security.md 16): pam_pwquality with enforce_for_root, then
 * pam_unix, on the shipped sspr-passwd service, so the system's password
 * policy and hashing apply. The helper runs as root, so pam_unix does not
 * ask for the old password. */
#include "autoconf.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "wipe.h"
#include "backends/local/local.h"
#include "support/lazy.h"

/* libpam, loaded at the first writeback (support/lazy.h) */
static __typeof__(pam_start_confdir) *start_confdir;
static __typeof__(pam_chauthtok) *chauthtok;
static __typeof__(pam_strerror) *strerror_of;
static __typeof__(pam_end) *end;
static const char *const PAM_NAMES[] = { "pam_start_confdir", "pam_chauthtok", "pam_strerror",
                                         "pam_end" };
static void *const PAM_SLOTS[] = { &start_confdir, &chauthtok, &strerror_of, &end };
static struct sspr_lazy libpam = { "libpam.so.0", PAM_NAMES, PAM_SLOTS, 4, 0 };

#define MAX_PROMPTS 6   /* pwquality asks twice per try; anything more is a loop */

struct wb_conv {
    const char *pw;
    char *msg;
    size_t msglen;
    int prompts;
};

static void append_msg(struct wb_conv *c, const char *text)
{
    size_t used = strlen(c->msg);

    if (text == NULL || text[0] == '\0' || used + 2 >= c->msglen)
        return;
    if (used > 0)
        c->msg[used++] = '\n';
    snprintf(c->msg + used, c->msglen - used, "%s", text);
}

static int conv(int n, const struct pam_message **msgs, struct pam_response **resp, void *data)
{
    struct wb_conv *c = data;
    struct pam_response *r;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        switch (msgs[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
            if (++c->prompts > MAX_PROMPTS || (r[i].resp = strdup(c->pw)) == NULL)
                goto fail;
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            append_msg(c, msgs[i]->msg);
            break;
        default: /* an echo-on prompt has no answer we could give */
            goto fail;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (int i = 0; i < n; i++)
        sspr_wipe_free_str(r[i].resp);
    free(r);
    return PAM_CONV_ERR;
}

int sspr_local_writeback_ready(void)
{
    return sspr_lazy_ready(&libpam);
}

int sspr_local_writeback(const struct sspr_config *cfg, const char *user, const char *newpw,
                   char *msg, size_t msglen)
{
    struct wb_conv c = { .pw = newpw, .msg = msg, .msglen = msglen, .prompts = 0 };
    struct pam_conv pc = { .conv = conv, .appdata_ptr = &c };
    pam_handle_t *pamh = NULL;
    const char *confdir = cfg->pam_confdir[0] != '\0' ? cfg->pam_confdir : NULL;
    int rc;

    msg[0] = '\0';
    if (!sspr_lazy_ready(&libpam))
        return -1;
    rc = start_confdir(cfg->pam_service, user, &pc, confdir, &pamh);
    if (rc != PAM_SUCCESS) {
        syslog(LOG_ERR, "writeback: pam_start(%s) failed: %d", cfg->pam_service, rc);
        return -1;
    }
    rc = chauthtok(pamh, 0);
    if (rc != PAM_SUCCESS)
        syslog(LOG_NOTICE, "writeback: pam_chauthtok via %s refused: %s", cfg->pam_service,
               strerror_of(pamh, rc));
    end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : -1;
}
