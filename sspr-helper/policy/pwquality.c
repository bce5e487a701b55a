/*
 * The system's password quality rules, asked before the password is typed
 * a second time (as passwd(1) does): libpwquality, with
 * /etc/security/pwquality.conf and the arguments of the pam_pwquality line
 * in the writeback stack (sspr-passwd), so the verdict is the one
 * pam_pwquality will give at the commit. That commit stays the authority;
 * this only lets the user hear "no" one prompt earlier.
 *
 * libpwquality is loaded only here (support/lazy.h): the helper does not
 * map it for resets that never get this far.
 */
#include "autoconf.h"

#include <ctype.h>
#include <limits.h>
#include <pwquality.h>
#include <stdio.h>
#include <string.h>

#include "policy/password.h"
#include "support/i18n.h"
#include "support/lazy.h"

#define LINE_MAX_STACK 1024

/* libpwquality, loaded at the first check (support/lazy.h); it stays
 * loaded, and pam_pwquality uses it again at the commit */
static __typeof__(pwquality_default_settings) *defaults;
static __typeof__(pwquality_free_settings) *free_settings;
static __typeof__(pwquality_read_config) *read_config;
static __typeof__(pwquality_set_option) *set_option;
static __typeof__(pwquality_check) *check;
static __typeof__(pwquality_strerror) *strerror_of;
static const char *const PWQ_NAMES[] = { "pwquality_default_settings", "pwquality_free_settings",
                                         "pwquality_read_config", "pwquality_set_option",
                                         "pwquality_check", "pwquality_strerror" };
static void *const PWQ_SLOTS[] = { &defaults, &free_settings, &read_config,
                                   &set_option, &check, &strerror_of };
static struct sspr_lazy libpwquality = { "libpwquality.so.1", PWQ_NAMES, PWQ_SLOTS, 6, 0 };

/* Apply the options of the pam_pwquality "password" line of the stack file
 * (includes are not followed: the shipped stack has none). Options that are
 * the module's own (retry, enforce_for_root, ...) are refused by
 * set_option and skipped. */
static void apply_stack_args(pwquality_settings_t *pwq, const struct sspr_config *cfg)
{
    char path[PATH_MAX + SSPR_CFG_STR + 2], line[LINE_MAX_STACK];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", cfg->pam_confdir[0] ? cfg->pam_confdir : "/etc/pam.d",
             cfg->pam_service);
    if ((f = fopen(path, "re")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *save = NULL, *type, *tok;

        line[strcspn(line, "#\r\n")] = '\0';
        type = strtok_r(line, " \t", &save);
        if (type == NULL || strcmp(type[0] == '-' ? type + 1 : type, "password") != 0)
            continue;
        tok = strtok_r(NULL, " \t", &save);
        if (tok != NULL && tok[0] == '[') /* [value=action ...] may hold blanks */
            while (tok != NULL && strchr(tok, ']') == NULL)
                tok = strtok_r(NULL, " \t", &save);
        tok = strtok_r(NULL, " \t", &save);
        if (tok == NULL || strstr(tok, "pam_pwquality.so") == NULL)
            continue;
        while ((tok = strtok_r(NULL, " \t", &save)) != NULL)
            if (strchr(tok, '=') != NULL)
                (void)set_option(pwq, tok);
        break;
    }
    fclose(f);
}

int sspr_pwquality_precheck(const struct sspr_config *cfg, const char *user, const char *pw,
                            char *why, size_t whylen)
{
    pwquality_settings_t *pwq;
    void *aux = NULL;
    char buf[256];
    int rc;

    why[0] = '\0';
    if (!sspr_lazy_ready(&libpwquality) || (pwq = defaults()) == NULL)
        return 0; /* cannot tell: the commit decides */
    (void)read_config(pwq, NULL, NULL);
    apply_stack_args(pwq, cfg);
    rc = check(pwq, pw, NULL, user, &aux);
    if (rc < 0) {
        const char *text = strerror_of(buf, sizeof(buf), rc, aux);

        sspr_pwquality_phrase(text, why, whylen);
    }
    free_settings(pwq);
    return rc < 0 ? -1 : 0;
}

/* Length of pam_pwquality's "BAD PASSWORD: " at the start of text, in
 * English or in the language in use (libpwquality's own catalog), else 0. */
static size_t refusal_prefix(const char *text)
{
    static const char prefix[] = "BAD PASSWORD: ";

    if (strncmp(text, prefix, sizeof(prefix) - 1) == 0)
        return sizeof(prefix) - 1;
#ifdef ENABLE_NLS
    static const char msgid[] = "BAD PASSWORD: %s"; /* libpwquality's, not ours */
    const char *t = dgettext("libpwquality", msgid);
    const char *pct = strstr(t, "%s");
    if (t != NULL && pct != NULL && pct > t && strncmp(text, t, (size_t)(pct - t)) == 0)
        return (size_t)(pct - t);
#endif
    return 0;
}

int sspr_pwquality_is_refusal(const char *text)
{
    return text != NULL && refusal_prefix(text) > 0;
}

void sspr_pwquality_phrase(const char *text, char *out, size_t outlen)
{
    char first[8] = "";
    const char *lang = sspr_i18n_lang();

    if (text == NULL || text[0] == '\0') {
        snprintf(out, outlen, "%s", _("That password is not accepted by the system's rules."));
        return;
    }
    text += refusal_prefix(text);
    if (text[0] == '\0') {
        snprintf(out, outlen, "%s", _("That password is not accepted by the system's rules."));
        return;
    }
    /* "The password is a palindrome" -> "...: the password is a palindrome."
     * (in English only: another language's first word may be a noun) */
    first[0] = text[0];
    if (lang[0] == '\0' || strncmp(lang, "en", 2) == 0)
        first[0] = (char)tolower((unsigned char)text[0]);
    /* TRANSLATORS: %1$s%2$s is libpwquality's reason (already in your
       language), %3$s a final "." when it had none */
    snprintf(out, outlen, _("That password is not accepted: %1$s%2$s%3$s"), first, text + 1,
             text[strlen(text) - 1] == '.' ? "" : ".");
}
