/*
 * The recovery-code gate (proofs/recovery.c): ten single-use codes, kept
 * as keyed hashes; material is the hash key and the unused hashes, and a
 * code is spent by removing its hash. Asked at the shared code prompt.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin/admin.h"
#include "flow/flow.h"
#include "gates/gate.h"
#include "proofs/recovery.h"
#include "support/i18n.h"
#include "wipe.h"

#define TRIES 3

struct new_codes {
    char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1];
    char key[SSPR_RECOVERY_KEY_HEX + 1];
    char hashes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_HASH_HEX + 1];
};

static int new_codes(struct new_codes *n, const char *source, struct sspr_material *m)
{
    sspr_material_init(m);
    if (sspr_recovery_generate(n->codes, n->key, n->hashes) != 0)
        return -1;
    m->present = 1;
    m->since = (long long)time(NULL);
    if (sspr_material_set_secret(m, n->key) != SSPR_OK ||
        sspr_material_set_source(m, source) != SSPR_OK)
        goto fail;
    for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
        if (sspr_material_add(m, n->hashes[i], NULL) != SSPR_OK)
            goto fail;
    return 0;
fail:
    sspr_material_clear(m);
    sspr_wipe(n, sizeof(*n));
    return -1;
}

static int valid(const struct sspr_material *m)
{
    return !m->damaged &&
           sspr_recovery_valid(m->secret, (const char *const *)m->values, m->nvalues);
}

static int usable(const struct sspr_material *m)
{
    return valid(m) && m->nvalues > 0;
}

static int check(struct sspr_material *m, const char *answer, time_t now)
{
    long i = sspr_recovery_match(m->secret, (const char *const *)m->values, m->nvalues, answer);

    (void)now;
    if (i < -1)
        return -1;
    if (i < 0)
        return 0;
    sspr_material_remove(m, (size_t)i); /* spent */
    return 1;
}

static int enroll_at_login(struct sspr_flow *f, const struct sspr_gate *g)
{
    struct new_codes nc;
    struct sspr_material m;
    char text[64 + SSPR_RECOVERY_COUNT * (SSPR_RECOVERY_CODE_LEN + 4)];
    char a[SSPR_ANSWER_MAX + 1];
    size_t o;
    int ok = 0;

    if (new_codes(&nc, "user", &m) != 0)
        return 0;
    o = (size_t)snprintf(text, sizeof(text), "%s", _("Your recovery codes (each works once):"));
    for (int i = 0; i < SSPR_RECOVERY_COUNT && o < sizeof(text); i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "\n  %s", nc.codes[i]);
    sspr_chan_info(&f->ch, text);
    sspr_chan_info(&f->ch, _("They are shown only now. Write them down or keep them in a "
                             "password manager, away from this computer."));
    /* TRANSLATORS: the word typed to say the codes are stored (ASCII
       letters; "saved" always works too) */
    const char *word = _("saved");
    char prompt[128];
    /* TRANSLATORS: %s is the word above */
    snprintf(prompt, sizeof(prompt), _("Type \"%s\" once you have stored them: "), word);
    for (int t = 0; t < TRIES && !ok; t++) {
        if (sspr_chan_prompt(&f->ch, 1, prompt, a) != 0) {
            ok = -1;
            break;
        }
        if (strcasecmp(a, "saved") == 0 || strcasecmp(a, word) == 0) {
            ok = sspr_flow_save_material(f, g, &m) == 0 ? 1 : 0;
            if (ok == 0)
                break;
        }
    }
    SSPR_WIPE_ARRAY(text);
    SSPR_WIPE_ARRAY(a);
    sspr_wipe(&nc, sizeof(nc));
    sspr_material_clear(&m);
    if (ok == 1)
        sspr_chan_info(&f->ch, _("Recovery codes registered."));
    return ok;
}

/* `enroll USER --recovery-codes`: the codes go to stdout once, after the
 * record holding their hashes is on disk. */
static int enroll_cli(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg)
{
    struct new_codes nc;
    struct sspr_material m;
    int rc = 1;

    (void)arg;
    if (new_codes(&nc, "admin", &m) == 0) {
        rc = sspr_admin_save(ad, g, &m);
        sspr_material_clear(&m);
    }
    if (rc == 0) {
        for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
            printf("%s\n", nc.codes[i]);
        fflush(stdout);
        fprintf(stderr,
                "New recovery codes for %s (any earlier ones no longer work).\n"
                "Each works once. They are shown only now: keep them somewhere safe.\n",
                ad->acct.name);
    }
    sspr_wipe(&nc, sizeof(nc));
    return rc;
}

static void describe(const struct sspr_gate *g, const struct sspr_material *m,
                     const struct sspr_config *cfg, FILE *out)
{
    char when[64];

    (void)cfg;
    if (!m->present) {
        fprintf(out, "%s: not enrolled\n", g->name);
        return;
    }
    sspr_admin_time(m->since, when, sizeof(when));
    fprintf(out, "%s: %zu of %d codes left, issued %s\n", g->name, valid(m) ? m->nvalues : 0,
            SSPR_RECOVERY_COUNT, when);
}

static int available(const struct sspr_config *cfg)
{
    (void)cfg;
    return 1;
}

const struct sspr_gate sspr_gate_recovery = {
    .name = "recovery",
    .menu_label = NULL, /* one menu entry and one prompt with the authenticator app */
    .reg_label = N_("recovery codes"),
    .blocked_label = N_("Recovery codes"),
    .use_label = N_("a recovery code"),
    .flags = SSPR_GATE_CODE,
    .available = available,
    .usable = usable,
    .ask = NULL,
    .looks_like = sspr_recovery_looks_like,
    .check = check,
    .enroll_at_login = enroll_at_login,
    .cli_option = "--recovery-codes",
    .cli_arg = NULL,
    .enroll_cli = enroll_cli,
    .describe = describe,
    .delivery = NULL,
};
