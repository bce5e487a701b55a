/* `enroll` and `unenroll`, over the gate table: each gate's cli_option
 * names its `enroll` form and its enroll_cli does the work. `--replace`,
 * anywhere after USER, belongs to no gate: it is taken out here and
 * handed on in struct sspr_admin (a gate that would replace something the
 * user relies on asks first on a terminal and otherwise wants it). Secrets
 * go to stdout once (the otpauth URI, the recovery codes) and only after
 * the record holding them is stored; everything else goes to stderr, so
 * `> file` captures only them. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/cli.h"

static void usage(void)
{
    const struct sspr_gate *g;
    int first = 1;

    fputs("usage: sspr-helper enroll USER", stderr);
    SSPR_GATE_FOREACH(i, g) {
        if (g->cli_option == NULL)
            continue;
        fprintf(stderr, "%s %s%s%s", first ? "" : " |", g->cli_option, g->cli_arg ? " " : "",
                g->cli_arg ? g->cli_arg : "");
        first = 0;
    }
    fputs(" [--replace]\n"
          "       (--replace: replace a registered authenticator app without asking)\n"
          "       sspr-helper unenroll USER",
          stderr);
    first = 1;
    SSPR_GATE_FOREACH(i, g) {
        fprintf(stderr, "%s%s", first ? " " : "|", g->name);
        first = 0;
    }
    fputs("|all\n", stderr);
}

/* The gate whose option this is, and whether arg fits it. */
static const struct sspr_gate *by_option(const char *opt, const char *arg)
{
    const struct sspr_gate *g;

    SSPR_GATE_FOREACH(i, g) {
        if (g->cli_option == NULL || strcmp(g->cli_option, opt) != 0)
            continue;
        if (g->cli_arg == NULL)
            return arg == NULL ? g : NULL;
        if (g->cli_arg[0] == '[') { /* optional: exactly the word in brackets */
            size_t n = strlen(g->cli_arg);
            return arg == NULL || (strlen(arg) == n - 2 && strncmp(arg, g->cli_arg + 1, n - 2) == 0)
                       ? g
                       : NULL;
        }
        return arg != NULL ? g : NULL;
    }
    return NULL;
}

int sspr_cli_enroll(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_admin ad;
    const struct sspr_gate *g;
    char *rest[2];
    int n = 0, extra = 0, replace = 0, rc;

    /* USER, then the gate's option and argument with --replace taken out */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--replace") == 0 && !replace)
            replace = 1;
        else if (n < 2)
            rest[n++] = argv[i];
        else
            extra = 1;
    }
    if (n < 1 || extra || (g = by_option(rest[0], n == 2 ? rest[1] : NULL)) == NULL) {
        usage();
        return 2;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        return 1;
    ad.replace = replace;
    rc = sspr_admin_find_user(&ad, argv[0]);
    if (rc == 0)
        rc = g->enroll_cli(&ad, g, n == 2 ? rest[1] : NULL);
    sspr_admin_close(&ad);
    return rc;
}

static int edit_drop_all(struct sspr_record *rec, void *ctx)
{
    (void)ctx;
    /* every method and the registration stamp; an address the directory
     * holds (a fleet backend's mail, mobile) is not an enrollment: it stays */
    for (size_t i = 0; i < SSPR_GATES_MAX; i++)
        if (strcmp(rec->m[i].source, "directory") != 0)
            sspr_material_clear(&rec->m[i]);
    rec->registered = 0;
    return SSPR_OK;
}

int sspr_cli_unenroll(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_admin ad;
    const struct sspr_gate *g = NULL;
    int rc;

    if (argc != 2 || ((g = sspr_gate_by_name(argv[1])) == NULL && strcmp(argv[1], "all") != 0)) {
        usage();
        return 2;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        return 1;
    rc = sspr_admin_find_user(&ad, argv[0]);
    if (rc == 0)
        rc = g != NULL ? sspr_admin_save(&ad, g, NULL) : sspr_admin_edit(&ad, edit_drop_all, NULL);
    if (rc == 0)
        fprintf(stderr, "Removed %s for %s.\n", argv[1], ad.acct.name);
    sspr_admin_close(&ad);
    return rc;
}
