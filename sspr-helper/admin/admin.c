/* The admin commands' shared pieces: the backend, the target, edits. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"

int sspr_admin_open(struct sspr_admin *ad, const struct sspr_config *cfg)
{
    int rc;

    memset(ad, 0, sizeof(*ad));
    ad->cfg = cfg;
    rc = sspr_backend_open(&ad->be, cfg, SSPR_BACKEND_CREATE);
    if (rc != SSPR_OK) {
        fprintf(stderr, "sspr-helper: the %s backend (state directory %s): %s\n", cfg->backend,
                cfg->state_dir, sspr_strerror(rc));
        return 1;
    }
    return 0;
}

void sspr_admin_close(struct sspr_admin *ad)
{
    sspr_backend_close(&ad->be);
}

int sspr_admin_find_user(struct sspr_admin *ad, const char *name)
{
    int rc = sspr_be_resolve(&ad->be, name, &ad->acct);

    if (rc != SSPR_OK && ad->be.code != 0) {
        /* the backend could not answer (a directory down): not "no such user" */
        fprintf(stderr,
                "sspr-helper: cannot look up %s: the %s backend is not available "
                "(SSPR-E%03d; sspr-helper doctor says why)\n",
                sspr_username_ok(name) ? name : "(malformed)", ad->cfg->backend, ad->be.code);
        return 1;
    }
    if (rc != SSPR_OK || !ad->acct.known) {
        fprintf(stderr, "sspr-helper: no such user: %s\n",
                sspr_username_ok(name) ? name : "(malformed)");
        return 1;
    }
    return 0;
}

int sspr_admin_edit(struct sspr_admin *ad, sspr_record_edit edit, void *ctx)
{
    int rc;

    ad->be.why[0] = '\0';
    rc = sspr_be_update(&ad->be, &ad->acct, SSPR_UPDATE_CREATE, edit, ctx);
    if (rc < 0) {
        fprintf(stderr, "sspr-helper: record for %s: %s (nothing was changed)\n", ad->acct.name,
                ad->be.why[0] != '\0' ? ad->be.why : sspr_strerror(rc));
        return 1;
    }
    return 0;
}

struct save_ctx {
    const struct sspr_gate *g;
    const struct sspr_material *m;
};

static int edit_save(struct sspr_record *rec, void *vctx)
{
    struct save_ctx *c = vctx;
    struct sspr_material *dst = sspr_gate_material(rec, c->g);

    if (dst == NULL)
        return SSPR_ERR_INVAL;
    if (c->m == NULL) {
        sspr_material_clear(dst);
        return SSPR_OK;
    }
    return sspr_material_copy(dst, c->m);
}

int sspr_admin_save(struct sspr_admin *ad, const struct sspr_gate *g, const struct sspr_material *m)
{
    struct save_ctx c = { g, m };

    return sspr_admin_edit(ad, edit_save, &c);
}

int sspr_admin_read_line(const char *prompt, int secret, char *buf, size_t len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO), off = 0;

    if (tty) {
        fputs(prompt, stderr);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= (tcflag_t)~ECHO;
            off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    char *got = fgets(buf, (int)len, stdin);
    if (off) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (got == NULL)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int sspr_admin_confirm(const char *prompt)
{
    char q[512], a[16];

    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
        return -1;
    snprintf(q, sizeof(q), "%s [y/N] ", prompt);
    if (sspr_admin_read_line(q, 0, a, sizeof(a)) != 0)
        return 0;
    return strcmp(a, "y") == 0 || strcmp(a, "Y") == 0 || strcmp(a, "yes") == 0 ||
           strcmp(a, "YES") == 0 || strcmp(a, "Yes") == 0;
}

int sspr_admin_method_blocks(struct sspr_backend *be, const struct sspr_subject *subj, time_t now,
                             struct sspr_method_block *out, int max)
{
    struct sspr_throttle_state ts;
    struct sspr_throttle_rec rec;
    const struct sspr_gate *g;
    int n = 0, rc;

    rc = sspr_throttle_get(be, subj, now, &ts);
    if (rc != SSPR_OK)
        return rc;
    if (sspr_throttle_locked(&ts, now) || ts.failures == 0)
        return 0;
    /* the window the per-method counts belong to started at `since`; the
     * throttle forgets them failure_window later (state/throttle.c) */
    rc = sspr_be_throttle_load(be, subj, &rec);
    if (rc != SSPR_OK)
        return rc;
    SSPR_GATE_FOREACH(i, g) {
        int mf = 0;

        if (n >= max)
            break;
        if (sspr_throttle_get_method(be, subj, now, g->name, &ts, &mf) != SSPR_OK ||
            !sspr_throttle_method_locked(&ts, mf, now, be->cfg) || sspr_throttle_locked(&ts, now))
            continue;
        out[n].g = g;
        out[n].failures = mf;
        out[n].until = rec.since > 0 ? rec.since + be->cfg->failure_window : 0;
        n++;
    }
    return n;
}

void sspr_admin_block_text(const struct sspr_method_block *b, int others, char *buf, size_t len)
{
    char when[64];

    sspr_admin_time(b->until, when, sizeof(when));
    snprintf(buf, len, "%s: blocked until %s (%d wrong %s); %s", b->g->name, when, b->failures,
             (b->g->flags & SSPR_GATE_WEAK) != 0 ? "answers" : "codes",
             others ? "other methods still work" : "no other registered method is left until then");
}

void sspr_admin_time(long long when, char *buf, size_t len)
{
    time_t t = (time_t)when;
    struct tm tm;

    snprintf(buf, len, "unknown");
    if (when > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}
