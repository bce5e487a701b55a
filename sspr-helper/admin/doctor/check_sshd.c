/* Doctor: sshd must run PAM with keyboard-interactive where the reset is offered. */
#include "autoconf.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "admin/doctor/checks.h"
#include "support/errors.h"

#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_BINARY "/usr/sbin/sshd"

struct sshd_opts {
    char usepam[16];
    char kbdint[16];
    char kbdint_where[PATH_MAX + 16];
    int depth;
};

static void sshd_parse_file(const char *path, struct sshd_opts *o);

static void sshd_include(const char *pattern, struct sshd_opts *o)
{
    char full[PATH_MAX];
    glob_t g;

    if (pattern[0] == '/')
        snprintf(full, sizeof(full), "%s", pattern);
    else
        snprintf(full, sizeof(full), "/etc/ssh/%s", pattern);
    if (glob(full, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        sshd_parse_file(g.gl_pathv[i], o);
    globfree(&g);
}

/* First value wins (sshd_config(5)); Match blocks are not evaluated: the
 * global settings are what a connection gets unless a Match overrides. */
static void sshd_parse_file(const char *path, struct sshd_opts *o)
{
    char line[2048];
    int lineno = 0;
    FILE *f;

    if (o->depth > 8)
        return;
    f = fopen(path, "re");
    if (f == NULL)
        return;
    o->depth++;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = sspr_doctor_trim(line), *key, *val, *save = NULL;

        lineno++;
        if (*p == '#' || *p == '\0')
            continue;
        key = strtok_r(p, " \t=", &save);
        val = strtok_r(NULL, " \t=", &save);
        if (key == NULL || val == NULL)
            continue;
        if (strcasecmp(key, "Match") == 0)
            break;
        if (strcasecmp(key, "Include") == 0) {
            do
                sshd_include(val, o);
            while ((val = strtok_r(NULL, " \t", &save)) != NULL);
        } else if (strcasecmp(key, "UsePAM") == 0 && o->usepam[0] == '\0') {
            snprintf(o->usepam, sizeof(o->usepam), "%s", val);
        } else if ((strcasecmp(key, "KbdInteractiveAuthentication") == 0 ||
                    strcasecmp(key, "ChallengeResponseAuthentication") == 0) &&
                   o->kbdint[0] == '\0') {
            snprintf(o->kbdint, sizeof(o->kbdint), "%s", val);
            snprintf(o->kbdint_where, sizeof(o->kbdint_where), "%s line %d", path, lineno);
        }
    }
    o->depth--;
    fclose(f);
}

void sspr_doctor_check_sshd(struct sspr_report *r)
{
    struct sshd_opts o;
    struct stat sb;

    if (stat(SSHD_CONFIG, &sb) != 0 && stat(SSHD_BINARY, &sb) != 0) {
        sspr_pass(r, "sshd: not installed, nothing to check");
        return;
    }
    if (sspr_doctor_stack_has_sspr("sshd", "auth", NULL, 0) != 1) {
        sspr_pass(r, "sshd: pam_sspr.so not in its PAM stack, keyboard-interactive not needed");
        return;
    }
    memset(&o, 0, sizeof(o));
    sshd_parse_file(SSHD_CONFIG, &o);
    if (strcasecmp(o.usepam, "yes") != 0) {
        sspr_fail(r, SSPR_E_SSHD_KBDINT, "sshd: UsePAM is %s",
                  o.usepam[0] ? o.usepam : "no (default)");
        return;
    }
    /* OpenSSH's default for KbdInteractiveAuthentication is yes. */
    if (o.kbdint[0] != '\0' && strcasecmp(o.kbdint, "yes") != 0) {
        sspr_fail(r, SSPR_E_SSHD_KBDINT, "sshd: KbdInteractiveAuthentication %s (%s)", o.kbdint,
                  o.kbdint_where);
        return;
    }
    sspr_pass(r, "sshd: UsePAM yes, KbdInteractiveAuthentication %s",
              o.kbdint[0] ? o.kbdint : "yes (default)");
}
