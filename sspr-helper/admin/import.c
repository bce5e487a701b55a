/*
 * `sspr-helper import FILE`: email addresses and phone numbers for many
 * users at once (admin/import_read.c reads the file). Each row is checked
 * and applied on its own, through the backend's atomic update, so a bad row
 * or a corrupt record affects only that row. An address or number the user
 * registered (and confirmed) themselves is never overwritten by an import:
 * the row says "kept".
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/import.h"
#include "admin/import_read.h"
#include "delivery/email.h"
#include "gates/delivery.h"

enum change { CH_NONE, CH_SET, CH_SAME, CH_KEPT, CH_DIRECTORY };

struct edit_ctx {
    const struct sspr_gate *email_gate, *sms_gate;
    const char *email, *phone;
    enum change email_ch, phone_ch;
};

/* The gate's material := value from the import, unless the user's own
 * registration is there. */
static enum change edit_part(struct sspr_material *m, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return CH_NONE;
    if (m->present && m->text[0] != '\0') {
        if (strcmp(m->text, value) == 0)
            return CH_SAME;
        if (strcmp(m->source, "directory") == 0)
            return CH_DIRECTORY;
        if (strcmp(m->source, "import") != 0)
            return CH_KEPT;
    }
    sspr_material_clear(m);
    m->present = 1;
    m->since = (long long)time(NULL);
    if (sspr_material_set_text(m, value) != SSPR_OK ||
        sspr_material_set_source(m, "import") != SSPR_OK)
        return CH_NONE;
    return CH_SET;
}

static int edit_row(struct sspr_record *rec, void *vctx)
{
    struct edit_ctx *c = vctx;

    c->email_ch = edit_part(sspr_gate_material(rec, c->email_gate), c->email);
    c->phone_ch = edit_part(sspr_gate_material(rec, c->sms_gate), c->phone);
    /* Nothing new: do not write (idempotent, and the file keeps its time). */
    return c->email_ch == CH_SET || c->phone_ch == CH_SET ? SSPR_OK : 1;
}

static const char *change_word(enum change c)
{
    switch (c) {
    case CH_SET:
        return "set";
    case CH_SAME:
        return "unchanged";
    case CH_KEPT:
        return "kept (the user registered a different one; unenroll it first to "
               "replace it)";
    case CH_DIRECTORY:
        return "kept (the directory holds it: change it there)";
    case CH_NONE:
        break;
    }
    return "";
}

/* Printable ASCII as is, anything else as \xHH; at most ~64 input bytes. */
static void shown_name(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;

    if (in == NULL) {
        snprintf(out, len, "(no user)");
        return;
    }
    for (i = 0; in[i] != '\0' && i < 64 && o + 5 < len; i++) {
        unsigned char ch = (unsigned char)in[i];

        if (ch >= 0x21 && ch < 0x7f && ch != '\\') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    if (in[i] != '\0' && o + 4 < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* uids already seen in this file: a small open-addressing set. */
struct seen {
    struct {
        uid_t uid;
        size_t row;
        int used;
    } * slot;
    size_t cap;
};

/* Returns 0 and remembers uid, or the row number that had it already. */
static size_t seen_add(struct seen *s, uid_t uid, size_t row)
{
    size_t h = ((size_t)uid * 2654435761u) & (s->cap - 1);

    while (s->slot[h].used) {
        if (s->slot[h].uid == uid)
            return s->slot[h].row;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h].used = 1;
    s->slot[h].uid = uid;
    s->slot[h].row = row;
    return 0;
}

/* Returns 0 when the row went through (changed or not), -1 when it failed. */
static int apply_row(struct sspr_admin *ad, struct seen *seen, const struct sspr_import_row *r,
                     int *changed)
{
    const struct sspr_gate *email = sspr_gate_by_name("email"), *sms = sspr_gate_by_name("sms");
    struct sspr_account *acct = &ad->acct;
    char name[80];
    struct edit_ctx ctx;
    size_t dup;
    int rc;

    shown_name(r->user, name, sizeof(name));
    *changed = 0;
    if (r->error != NULL) {
        printf("row %zu %s: ERROR %s\n", r->number, name, r->error);
        return -1;
    }
    if (r->user == NULL || r->user[0] == '\0') {
        printf("row %zu %s: ERROR no user\n", r->number, name);
        return -1;
    }
    if (sspr_be_resolve(&ad->be, r->user, acct) != SSPR_OK || !acct->known) {
        printf("row %zu %s: ERROR no such user\n", r->number, name);
        return -1;
    }
    if (acct->why == SSPR_ACCT_ROOT || acct->why == SSPR_ACCT_SYSTEM) {
        printf("row %zu %s: ERROR %s never resets a password this way (uid %lu < min_uid %ld)\n",
               r->number, name, acct->why == SSPR_ACCT_ROOT ? "root" : "a system account",
               (unsigned long)acct->uid, ad->cfg->min_uid);
        return -1;
    }
    if ((r->email == NULL || r->email[0] == '\0') && (r->phone == NULL || r->phone[0] == '\0')) {
        printf("row %zu %s: ERROR nothing to import (no email or phone)\n", r->number, name);
        return -1;
    }
    if (r->email != NULL && r->email[0] != '\0' &&
        (strlen(r->email) > SSPR_EMAIL_MAX_ADDR || !email->delivery->valid(r->email))) {
        printf("row %zu %s: ERROR not a valid email address\n", r->number, name);
        return -1;
    }
    if (r->phone != NULL && r->phone[0] != '\0' && !sms->delivery->valid(r->phone)) {
        printf("row %zu %s: ERROR not an E.164 phone number (+ then 8 to 15 digits)\n", r->number,
               name);
        return -1;
    }
    if ((dup = seen_add(seen, acct->uid, r->number)) != 0) {
        printf("row %zu %s: ERROR this user is already in row %zu (one row per user)\n", r->number,
               name, dup);
        return -1;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.email_gate = email;
    ctx.sms_gate = sms;
    ctx.email = r->email;
    ctx.phone = r->phone;
    ad->be.why[0] = '\0';
    rc = sspr_be_update(&ad->be, acct, SSPR_UPDATE_CREATE, edit_row, &ctx);
    if (rc < 0) {
        printf("row %zu %s: ERROR record user-%lu: %s%s\n", r->number, name,
               (unsigned long)acct->uid, ad->be.why[0] != '\0' ? ad->be.why : sspr_strerror(rc),
               rc == SSPR_ERR_CORRUPT ? " (fix or remove it, then import again)" : "");
        return -1;
    }
    *changed = rc == SSPR_OK;
    printf("row %zu %s:", r->number, name);
    if (ctx.email_ch != CH_NONE)
        printf(" email %s%s", change_word(ctx.email_ch), ctx.phone_ch != CH_NONE ? "," : "");
    if (ctx.phone_ch != CH_NONE)
        printf(" phone %s", change_word(ctx.phone_ch));
    putchar('\n');
    if (*changed)
        syslog(LOG_INFO, "import: uid=%lu user=%s email=%s phone=%s", (unsigned long)acct->uid,
               acct->name, ctx.email_ch == CH_SET ? "set" : "-",
               ctx.phone_ch == CH_SET ? "set" : "-");
    return 0;
}

int sspr_cli_import(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_import_rows rs;
    struct seen seen = { NULL, 0 };
    struct sspr_admin ad;
    char *text = NULL;
    size_t len = 0, ok = 0, changed = 0, failed = 0;
    int ret = 2, opened = 0;

    if (argc != 1 || argv[0][0] == '\0' || (argv[0][0] == '-' && argv[0][1] != '\0')) {
        fputs("usage: sspr-helper import FILE   (JSON or CSV; - reads standard input)\n", stderr);
        return 2;
    }
    memset(&rs, 0, sizeof(rs));
    if (sspr_import_read(argv[0], &text, &len) != 0)
        return 2;
    if (sspr_import_parse(text, len, &rs) != 0)
        goto out;
    if (rs.n == 0) {
        fprintf(stderr, "sspr-helper import: no rows\n");
        goto out;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        goto out;
    opened = 1;
    seen.cap = 16;
    while (seen.cap < rs.n * 2)
        seen.cap *= 2;
    seen.slot = calloc(seen.cap, sizeof(*seen.slot));
    if (seen.slot == NULL) {
        fprintf(stderr, "sspr-helper import: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < rs.n; i++) {
        int ch = 0;

        if (apply_row(&ad, &seen, &rs.v[i], &ch) == 0) {
            ok++;
            changed += (size_t)ch;
        } else {
            failed++;
        }
    }
    fflush(stdout);
    fprintf(stderr, "import: %zu row%s: %zu changed, %zu unchanged, %zu failed\n", rs.n,
            rs.n == 1 ? "" : "s", changed, ok - changed, failed);
    ret = failed > 0 ? 1 : 0;
out:
    if (opened)
        sspr_admin_close(&ad);
    free(seen.slot);
    sspr_import_rows_free(&rs);
    free(text);
    return ret;
}
